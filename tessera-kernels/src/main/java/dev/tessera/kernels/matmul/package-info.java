/**
 * Matrix multiplication, the model for a family of the library: the kernel
 * ({@link dev.tessera.kernels.matmul.MatmulKernel}), the host API
 * ({@link dev.tessera.kernels.matmul.Matmul}: a fixed blocking or a tuned one), the blockings
 * ({@link dev.tessera.kernels.matmul.MatmulConfig}, parsed from and printed as text), what the
 * autotuner chooses among and prunes with its shared-memory model
 * ({@link dev.tessera.kernels.matmul.MatmulTuning}), and one launch helper that checks the shapes
 * and lays out the arguments for every launcher (MatmulLaunch). Outputs of few tiles (the M = 64
 * and 128 rows of a linear layer) can share each tile's K steps among several programs (a config's
 * SPLIT), summed by the tile's last program through a per-device workspace (SplitKWorkspace).
 */
package dev.tessera.kernels.matmul;
