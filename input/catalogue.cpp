#include "input/catalogue.hpp"

#include <array>

namespace dctwin {

namespace {

// Thermal figures shared by the liquid-cooled accelerators, all [E]: junction-to-coolant
// 0.02-0.05 K/W per cold plate (one vendor blog: 0.04), die and plate time constants of
// 1-10 s; flow sized at 1.5 L/min/kW [S] OCP; HBM limit 95 degC [P] nvidia-smi (H100).
#define DCTWIN_LIQUID_GPU_THERMAL                    \
    "cooling: liquid\n"                              \
    "junction_heat_capacity: 60 J/K\n"               \
    "plate_heat_capacity: 400 J/K\n"                 \
    "junction_to_plate_resistance: 0.02 K/W\n"       \
    "plate_to_coolant_resistance: 0.02 K/W\n"        \
    "flow_exponent: 0.8\n"                           \
    "leakage_temperature_coefficient: 0.015 1/K\n"   \
    "leakage_reference_temperature: 60 degC\n"       \
    "min_clock_voltage_ratio: 0.65\n"                \
    "slowdown_band: 2 K\n"                           \
    "memory_heat_capacity: 20 J/K\n"                 \
    "memory_to_plate_resistance: 0.1 K/W\n"          \
    "memory_max_temperature: 95 degC\n"

constexpr std::array<CatalogueEntry, 8> kCatalogue{{
    {"h100-sxm",
     "NVIDIA H100 SXM, 700 W, liquid-cooled: limits [P] nvidia-smi (H800 SXM envelope)",
     // 700 W max, 200 W min power limit; 89 / 92 degC slowdown / shutdown; 1980 MHz [P].
     "kind: gpu\n"
     "idle_power: 70 W\n"             // [E]
     "max_power: 700 W\n"
     "power_cap_min: 200 W\n"
     "leakage_power: 60 W\n"          // [E] 3-5 % of total per 10 K
     "max_clock: 1980 MHz\n"
     "min_clock: 345 MHz\n"           // [E]
     "slowdown_temperature: 89 degC\n"
     "shutdown_temperature: 92 degC\n"
     "nominal_coolant_flow: 1.05 L/min\n"  // 1.5 L/min/kW x 0.7 kW [S]
     "memory_power: 60 W\n"           // [E]
     "memory_idle_power: 20 W\n"      // [E]
     DCTWIN_LIQUID_GPU_THERMAL},
    {"h200",
     "NVIDIA H200 SXM, 700 W [S]; H100 envelope otherwise [E]",
     "kind: gpu\n"
     "idle_power: 75 W\n"
     "max_power: 700 W\n"
     "power_cap_min: 200 W\n"
     "leakage_power: 60 W\n"
     "max_clock: 1980 MHz\n"
     "min_clock: 345 MHz\n"
     "slowdown_temperature: 89 degC\n"
     "shutdown_temperature: 92 degC\n"
     "nominal_coolant_flow: 1.05 L/min\n"
     "memory_power: 80 W\n"           // [E] HBM3e, 141 GB
     "memory_idle_power: 25 W\n"
     DCTWIN_LIQUID_GPU_THERMAL},
    {"b200",
     "NVIDIA B200, 1000 W per GPU [S]; temperatures as H100 [E]",
     "kind: gpu\n"
     "idle_power: 100 W\n"
     "max_power: 1000 W\n"
     "power_cap_min: 300 W\n"
     "leakage_power: 85 W\n"
     "max_clock: 1965 MHz\n"          // [E]
     "min_clock: 345 MHz\n"
     "slowdown_temperature: 89 degC\n"
     "shutdown_temperature: 92 degC\n"
     "nominal_coolant_flow: 1.5 L/min\n"
     "memory_power: 110 W\n"
     "memory_idle_power: 35 W\n"
     DCTWIN_LIQUID_GPU_THERMAL},
    {"gb200",
     "NVIDIA GB200 (one Blackwell GPU), 1200 W [S]; NVL72 rack about 120 kW [S]",
     "kind: gpu\n"
     "idle_power: 110 W\n"
     "max_power: 1200 W\n"
     "power_cap_min: 400 W\n"
     "leakage_power: 100 W\n"
     "max_clock: 1965 MHz\n"
     "min_clock: 345 MHz\n"
     "slowdown_temperature: 89 degC\n"
     "shutdown_temperature: 92 degC\n"
     "nominal_coolant_flow: 1.62 L/min\n"  // 1.35 L/min/kW for GB200 racks [S] Vertiv
     "memory_power: 120 W\n"
     "memory_idle_power: 40 W\n"
     DCTWIN_LIQUID_GPU_THERMAL},
    {"mi300x",
     "AMD Instinct MI300X, 750 W [S]; temperatures as H100 [E]",
     "kind: gpu\n"
     "idle_power: 90 W\n"
     "max_power: 750 W\n"
     "power_cap_min: 250 W\n"
     "leakage_power: 65 W\n"
     "max_clock: 2100 MHz\n"          // [E]
     "min_clock: 500 MHz\n"
     "slowdown_temperature: 89 degC\n"
     "shutdown_temperature: 92 degC\n"
     "nominal_coolant_flow: 1.1 L/min\n"
     "memory_power: 90 W\n"
     "memory_idle_power: 30 W\n"
     DCTWIN_LIQUID_GPU_THERMAL},
    {"mi250x",
     "AMD Instinct MI250X (Frontier), idle 88 W, max 560 W [P] ExaDigiT RAPS",
     "kind: gpu\n"
     "idle_power: 88 W\n"
     "max_power: 560 W\n"
     "power_cap_min: 200 W\n"
     "leakage_power: 45 W\n"
     "max_clock: 1700 MHz\n"          // [E]
     "min_clock: 500 MHz\n"
     "slowdown_temperature: 89 degC\n"
     "shutdown_temperature: 92 degC\n"
     "nominal_coolant_flow: 0.84 L/min\n"
     "memory_power: 50 W\n"
     "memory_idle_power: 15 W\n"
     DCTWIN_LIQUID_GPU_THERMAL},
    {"grace",
     "NVIDIA Grace CPU, 250 W [E], liquid-cooled",
     "kind: cpu\n"
     "cooling: liquid\n"
     "idle_power: 50 W\n"
     "max_power: 250 W\n"
     "power_cap_min: 100 W\n"
     "leakage_power: 15 W\n"
     "leakage_temperature_coefficient: 0.012 1/K\n"
     "leakage_reference_temperature: 60 degC\n"
     "max_clock: 3400 MHz\n"
     "min_clock: 1000 MHz\n"
     "min_clock_voltage_ratio: 0.7\n"
     "junction_heat_capacity: 40 J/K\n"
     "plate_heat_capacity: 250 J/K\n"
     "junction_to_plate_resistance: 0.05 K/W\n"
     "plate_to_coolant_resistance: 0.04 K/W\n"
     "slowdown_temperature: 95 degC\n"
     "slowdown_band: 3 K\n"
     "shutdown_temperature: 105 degC\n"
     "nominal_coolant_flow: 0.38 L/min\n"},
    {"epyc",
     "AMD EPYC (Frontier's 64-core), idle 90 W, max 280 W [P] ExaDigiT RAPS; air-cooled",
     "kind: cpu\n"
     "cooling: air\n"
     "idle_power: 90 W\n"
     "max_power: 280 W\n"
     "power_cap_min: 120 W\n"
     "leakage_power: 20 W\n"
     "leakage_temperature_coefficient: 0.012 1/K\n"
     "leakage_reference_temperature: 60 degC\n"
     "max_clock: 3500 MHz\n"
     "min_clock: 1500 MHz\n"
     "min_clock_voltage_ratio: 0.75\n"
     "junction_heat_capacity: 50 J/K\n"
     "plate_heat_capacity: 600 J/K\n"        // heat sink
     "junction_to_plate_resistance: 0.05 K/W\n"
     "plate_to_coolant_resistance: 0.12 K/W\n"  // heat sink to air at nominal fan flow [E]
     "slowdown_temperature: 95 degC\n"
     "slowdown_band: 3 K\n"
     "shutdown_temperature: 105 degC\n"
     "nominal_air_flow: 25 L/s\n"},
}};

#undef DCTWIN_LIQUID_GPU_THERMAL

}  // namespace

std::span<const CatalogueEntry> device_catalogue() { return kCatalogue; }

const CatalogueEntry* find_catalogue_entry(std::string_view name) {
    for (const auto& e : kCatalogue)
        if (e.name == name) return &e;
    return nullptr;
}

}  // namespace dctwin
