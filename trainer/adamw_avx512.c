/* adamw_avx512.c — adamw_impl.h compiled for AVX-512 (build.mk: -mavx512f -ffp-contract=off),
 * called by adamw.c only when the kernels run at the AVX-512 level or above. */
#include <math.h>

#include "adamw.h"

#define ADAMW_NAME adamw_update_avx512
#include "adamw_impl.h"
