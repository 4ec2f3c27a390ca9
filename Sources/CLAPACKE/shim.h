// LAPACK's C interface (Debian: liblapacke-dev, pkg-config name `lapacke`).
#include <lapacke.h>
