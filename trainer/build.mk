# trainer: lib/, libm and Open MPI's libmpi (ranks.c; only initialised under mpirun); the SIMD
# kernels get their instruction set per file and are only called after a run-time CPU check
# (matmul.c).
trainer_PKGS := ompi-c
trainer_LDLIBS := -lm
trainer_CFLAGS_matmul_avx2 := -O3 -mavx2 -mfma
trainer_CFLAGS_matmul_avx512 := -O3 -mavx512f -mfma
trainer_CFLAGS_layers := -O3
trainer_CFLAGS_layers_avx2 := -O3 -mavx2 -mfma
trainer_CFLAGS_layers_avx512 := -O3 -mavx512f -mfma
trainer_CFLAGS_generate := -O3
