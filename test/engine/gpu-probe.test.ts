import { describe, expect, it } from 'vitest'
import {
  compareVersions,
  describeGpuProbe,
  gpuProblems,
  ONNX_CUDA_NEEDS,
  parseCudaToolkitVersion,
  parseLdconfig,
  parseNvidiaSmi,
  parseProcDriverVersion,
  probeGpu,
  TFJS_GPU_NEEDS,
} from '../../src-main/engine/gpu-probe'
import { noDriver, nvidiaMachine } from '../helpers/gpu-machines'

describe('gpu probe parsers', () => {
  it('reads nvidia-smi csv rows, one per GPU, and nothing from an error text', () => {
    const d = parseNvidiaSmi('535.129.03, NVIDIA GeForce RTX 3090\n535.129.03, NVIDIA A100-SXM4-40GB\n')
    expect(d).toEqual({
      version: '535.129.03',
      gpus: ['NVIDIA GeForce RTX 3090', 'NVIDIA A100-SXM4-40GB'],
      source: 'nvidia-smi',
    })
    expect(
      parseNvidiaSmi(
        "NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver. Make sure that the latest NVIDIA driver is installed and running.\n",
      ),
    ).toBeNull()
  })

  it('reads the driver version from /proc for the proprietary and the open kernel module', () => {
    expect(
      parseProcDriverVersion(
        'NVRM version: NVIDIA UNIX x86_64 Kernel Module  535.129.03  Thu Oct 19 18:56:32 UTC 2023\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n',
      )?.version,
    ).toBe('535.129.03')
    expect(
      parseProcDriverVersion(
        'NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  550.54.14  Release Build  (dvs-builder@U16-I3-B03-4-3)  Thu Feb 22 01:25:25 UTC 2024\n',
      )?.version,
    ).toBe('550.54.14')
    expect(parseProcDriverVersion('')).toBeNull()
  })

  it('reads ldconfig -p, skipping other-arch entries and keeping the first path per soname', () => {
    const out = [
      "670 libs found in cache `/etc/ld.so.cache'",
      '\tlibcudart.so.13 (libc6,x86-64) => /usr/local/cuda-13.0/lib/libcudart.so.13',
      '\tlibcudart.so (libc6,x86-64) => /usr/local/cuda-13.0/lib/libcudart.so',
      '\tlibcudnn.so.8 (libc6) => /usr/lib/i386-linux-gnu/libcudnn.so.8',
      '\tlibc.so.6 (libc6,x86-64, OS ABI: Linux 3.2.0) => /lib/x86_64-linux-gnu/libc.so.6',
      '\tlibc.so.6 (libc6,x86-64) => /usr/lib/other/libc.so.6',
    ].join('\n')
    expect(parseLdconfig(out, 'x64')).toEqual({
      'libcudart.so.13': '/usr/local/cuda-13.0/lib/libcudart.so.13',
      'libcudart.so': '/usr/local/cuda-13.0/lib/libcudart.so',
      'libc.so.6': '/lib/x86_64-linux-gnu/libc.so.6',
    })
  })

  it('reads the toolkit version from version.json and version.txt', () => {
    expect(parseCudaToolkitVersion('{"cuda":{"name":"CUDA SDK","version":"12.2.2"}}')).toBe('12.2.2')
    expect(parseCudaToolkitVersion('CUDA Version 11.2.152\n')).toBe('11.2.152')
    expect(parseCudaToolkitVersion('garbage')).toBeNull()
  })

  it('compares driver versions numerically, not as strings', () => {
    expect(compareVersions('535.129.03', '525.60.13')).toBe(1)
    expect(compareVersions('470.82.01', '525.60.13')).toBe(-1)
    expect(compareVersions('1000.1', '999.99.99')).toBe(1)
    expect(compareVersions('450.80.02', '450.80.02')).toBe(0)
  })
})

describe('gpuProblems', () => {
  it('no driver: one problem naming what was looked at', () => {
    expect(gpuProblems(noDriver, TFJS_GPU_NEEDS)).toEqual([
      'no NVIDIA driver (nvidia-smi not found, /proc/driver/nvidia/version absent)',
    ])
  })

  it('each runtime needs its own CUDA major: 12 does not serve tfjs-node-gpu, 11 does not serve onnxruntime', () => {
    expect(gpuProblems(nvidiaMachine('550.54.14', [12]), ONNX_CUDA_NEEDS)).toEqual([])
    const tf = gpuProblems(nvidiaMachine('550.54.14', [12]), TFJS_GPU_NEEDS)
    expect(tf).toHaveLength(1)
    expect(tf[0]).toMatch(
      /CUDA 11\.2 \/ cuDNN 8\.1 libraries not found by the loader: libcudart\.so\.11\.0, .*libcudnn\.so\.8/,
    )
    expect(gpuProblems(nvidiaMachine('550.54.14', [11]), TFJS_GPU_NEEDS)).toEqual([])
    expect(gpuProblems(nvidiaMachine('550.54.14', [11]), ONNX_CUDA_NEEDS)[0]).toMatch(/libcudart\.so\.12/)
  })

  it('a driver too old for the CUDA major is named with the version it needs', () => {
    const p = gpuProblems(nvidiaMachine('470.82.01', [11, 12]), ONNX_CUDA_NEEDS)
    expect(p).toEqual(['NVIDIA driver 470.82.01 is older than 525.60.13, the oldest that runs CUDA 12.x'])
    expect(gpuProblems(nvidiaMachine('470.82.01', [11, 12]), TFJS_GPU_NEEDS)).toEqual([])
  })

  it('libraries installed but off the loader path get an LD_LIBRARY_PATH hint', () => {
    const m = nvidiaMachine('550.54.14', [])
    m.offPath = { 'libcudart.so.12': '/usr/local/cuda-12.4/lib64/libcudart.so.12' }
    expect(gpuProblems(m, ONNX_CUDA_NEEDS)[0]).toMatch(
      /\/usr\/local\/cuda-12\.4\/lib64\/libcudart\.so\.12 exists: add \/usr\/local\/cuda-12\.4\/lib64 to LD_LIBRARY_PATH/,
    )
  })
})

describe('probeGpu on this machine', () => {
  it('never throws and agrees with /proc about the driver', async () => {
    const p = await probeGpu()
    const { existsSync } = await import('node:fs')
    if (!existsSync('/proc/driver/nvidia/version') && p.driver === null)
      expect(p.driverMissing).toMatch(/\/proc\/driver\/nvidia\/version absent/)
    expect(describeGpuProbe(p)).toMatch(/NVIDIA driver|no NVIDIA driver/)
  })
})
