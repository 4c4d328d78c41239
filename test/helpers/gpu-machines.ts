/**
 * Machine probes (gpu-probe.ts GpuProbe) for the GPU decisions: built from the library sets real
 * CUDA installs put on the loader path, so tests decide on the shapes probeGpu() returns.
 */
import { ONNX_CUDA_NEEDS, TFJS_GPU_NEEDS, type GpuProbe } from '../../src-main/engine/gpu-probe'

const libs = (sonames: string[], dir: string) => Object.fromEntries(sonames.map((s) => [s, `${dir}/${s}`]))

/** This kind of machine: CUDA 13 toolkit, no driver (what `probeGpu()` returns on the CI box). */
export const noDriver: GpuProbe = {
  driver: null,
  driverMissing: 'nvidia-smi not found, /proc/driver/nvidia/version absent',
  libraries: libs(['libcudart.so.13', 'libc.so.6'], '/usr/local/cuda-13.0/lib'),
  offPath: {},
  cudaToolkit: null,
}

/** A workstation with a driver and the given CUDA runtimes (11 = tfjs-node-gpu's, 12 = onnxruntime's). */
export function nvidiaMachine(driverVersion: string, cuda: (11 | 12)[]): GpuProbe {
  return {
    driver: { version: driverVersion, gpus: ['NVIDIA GeForce RTX 3090'], source: 'nvidia-smi' },
    driverMissing: null,
    libraries: {
      'libc.so.6': '/lib/x86_64-linux-gnu/libc.so.6',
      ...(cuda.includes(11) ? libs(TFJS_GPU_NEEDS.libraries, '/usr/local/cuda-11.2/lib64') : {}),
      ...(cuda.includes(12) ? libs(ONNX_CUDA_NEEDS.libraries, '/usr/local/cuda-12.4/lib64') : {}),
    },
    offPath: {},
    cudaToolkit: cuda.includes(12) ? '12.4.1' : cuda.includes(11) ? '11.2.152' : null,
  }
}
