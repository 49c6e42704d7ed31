#include "solver/sundials.hpp"

#include <stdexcept>

namespace dctwin::sun {

Context make_context() {
    SUNContext c = nullptr;
    if (SUNContext_Create(nullptr, &c) != 0 || !c) throw std::runtime_error("SUNDIALS: cannot create a context");
    return Context(c);
}

Vector make_vector(long n, SUNContext ctx) {
    N_Vector v = N_VNew_Serial(n, ctx);
    if (!v) throw std::runtime_error("SUNDIALS: cannot allocate a vector");
    return Vector(v);
}

}  // namespace dctwin::sun
