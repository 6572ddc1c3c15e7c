# trainer: lib/, libm and Open MPI's libmpi (ranks.c; only initialised under mpirun); the SIMD
# kernels get their instruction set per file and are only called after a run-time CPU check
# (kernels.c).
trainer_PKGS := ompi-c
trainer_LDLIBS := -lm
trainer_CFLAGS_matmul_avx2 := -O3 -mavx2 -mfma
trainer_CFLAGS_matmul_avx512 := -O3 -mavx512f -mfma
trainer_CFLAGS_matmul_avx512bf16 := -O3 -mavx512f -mavx512bw -mavx512bf16 -mfma
trainer_CFLAGS_matmul_amx := -O3 -mavx512f -mavx512bf16 -mamx-tile -mamx-bf16
trainer_CFLAGS_matmul_bf16 := -O2
# -O3: the element-wise loops (the bias gradient in kernels.c; the spheres' gradient sums)
# vectorise on any x86-64; plain adds, so the bits are those of the scalar loops
trainer_CFLAGS_matmul := -O3
trainer_CFLAGS_kernels := -O3
trainer_CFLAGS_spheres := -O3
trainer_CFLAGS_adamw_avx512 := -O3 -mavx512f -ffp-contract=off -fno-math-errno
trainer_CFLAGS_adamw := -O2 -ffp-contract=off -fno-math-errno
trainer_CFLAGS_layers := -O3
trainer_CFLAGS_layers_avx2 := -O3 -mavx2 -mfma
trainer_CFLAGS_layers_avx512 := -O3 -mavx512f -mfma
trainer_CFLAGS_layers_bf16 := -O3 -mavx512f -mfma
trainer_CFLAGS_generate := -O3
