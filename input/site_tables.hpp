#pragma once
// The site format's section tables, one function each (input/tables_*.cpp); the root table
// reaches every other.

#include "input/schema.hpp"

namespace dctwin::schema {


const Table<SolverSpec>& solver_table();
const Table<SimulationSpec>& simulation_table();
const Table<AmbientSpec>& ambient_table();
const Table<CoolantSpec>& coolant_table();
const Table<EconomiserSpec>& economiser_table();
const Table<ChillerSpec>& chiller_table();
const Table<PlantSpec>& plant_table();
const Table<FacilitySpec>& facility_table();
const Table<CduSpec>& cdu_table();
const Table<ConversionSpec>& distribution_table();
const Table<CurvePoint>& curve_point_table();
const Table<StorageSpec>& rack_storage_table();
const Table<PowerShelfSpec>& power_shelf_table();
const Table<GridSpec>& grid_table();
const Table<TransformerSpec>& transformer_table();
const Table<BatterySpec>& battery_table();
const Table<GeneratorSpec>& generator_table();
const Table<ScenarioEvent>& scenario_event_table();
const Table<UpsSpec>& ups_table();
const Table<BuswaySpec>& busway_table();
const Table<PowerSpec>& electrical_room_table();
const Table<SiteBatterySpec>& site_battery_table();
const Table<PowerSpec>& power_table();
const Table<DeviceTypeSpec>& device_type_table();
const Table<RackDeviceGroupSpec>& device_group_table();
const Table<RackTypeSpec>& rack_type_table();
const Table<HallSpec>& hall_air_table();
const Table<CrahSpec>& crah_table();
const Table<RowSpec>& row_table();
const Table<HallSpec>& hall_table();
const Table<ActivityStep>& step_table();
const Table<ActivityStep>& power_step_table();
const Table<TrainingSpec>& training_table();
const Table<InferenceSpec>& inference_table();
const Table<TraceJobSpec>& trace_job_table();
const Table<SmoothingSpec>& smoothing_table();
const Table<JobSpec>& job_table();
const Table<SiteSpec>& workload_table();
const Table<VariabilitySpec>& variability_table();
const Table<SiteSpec>& site_info_table();
const Table<SiteSpec>& root_table();

}  // namespace dctwin::schema
