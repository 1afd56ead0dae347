// OpenBLAS' CBLAS interface. Debian installs cblas.h in the multiarch include directory and the
// openblas pkg-config file adds the pthread variant's directory; either provides these symbols.
#include <cblas.h>
