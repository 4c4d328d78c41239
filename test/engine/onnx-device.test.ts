import { createRequire } from 'node:module'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  createOnnxSession,
  cudaProviderInstalled,
  ORT_CUDA_PROVIDER_FILES,
  ortBinDir,
  planOnnxDevice,
} from '../../src-main/engine/onnx-device'
import { sileroModelPath, vadDevice } from '../../src-main/engine/segment/vad'
import { noDriver, nvidiaMachine } from '../helpers/gpu-machines'

const require = createRequire(import.meta.url)
const ort = require('onnxruntime-node') as typeof import('onnxruntime-node')

describe('planOnnxDevice', () => {
  it('tries CUDA only with the provider installed, a CUDA 12 driver and the CUDA 12 / cuDNN 9 libraries', () => {
    const plan = planOnnxDevice(nvidiaMachine('550.54.14', [12]), true, 'linux')
    expect(plan.tryCuda).toBe(true)
    expect(plan.reason).toMatch(/NVIDIA driver 550\.54\.14 \(NVIDIA GeForce RTX 3090\), CUDA 12\.x/)
  })

  it('provider not installed (what npm ci leaves): CPU, and names the command', () => {
    const plan = planOnnxDevice(nvidiaMachine('550.54.14', [12]), false, 'linux')
    expect(plan).toEqual({
      tryCuda: false,
      reason:
        "onnxruntime-node's CUDA provider is not installed (npm ci skips its download: run `npm run setup:gpu`)",
    })
  })

  it('no driver, driver too old, CUDA 11 only: CPU with the specific reason', () => {
    expect(planOnnxDevice(noDriver, true, 'linux').reason).toMatch(/^no NVIDIA driver \(nvidia-smi not found/)
    expect(planOnnxDevice(nvidiaMachine('470.82.01', [12]), true, 'linux').reason).toBe(
      'NVIDIA driver 470.82.01 is older than 525.60.13, the oldest that runs CUDA 12.x',
    )
    expect(planOnnxDevice(nvidiaMachine('550.54.14', [11]), true, 'linux').reason).toMatch(
      /libraries not found by the loader: libcudart\.so\.12, libcublas\.so\.12/,
    )
    expect(planOnnxDevice(nvidiaMachine('550.54.14', [12]), true, 'darwin').tryCuda).toBe(false)
  })
})

describe('createOnnxSession (real onnxruntime-node, real Silero model)', () => {
  it('machine ready but the CUDA provider cannot load: the real onnxruntime error, then a working CPU session', async () => {
    // The probe says "ready"; the provider .so files are absent here, so onnxruntime itself fails to
    // load the CUDA provider: that real failure must turn into a CPU session, not an error.
    const { session, device } = await createOnnxSession(
      ort,
      sileroModelPath(),
      { intraOpNumThreads: 1 },
      { probe: nvidiaMachine('550.54.14', [12]), providerInstalled: true },
    )
    expect(device.device).toBe('cpu')
    expect(device.providers).toEqual(['cpu'])
    expect(device.reason).toMatch(
      /^the CUDA provider failed to start: OrtSessionOptionsAppendExecutionProvider_Cuda: Failed to load shared library \(a CUDA 12\.x/,
    )
    expect(session.inputNames).toContain('input')
  })

  it('provider not installed: CPU directly, without asking onnxruntime for CUDA', async () => {
    const asked: string[][] = []
    const spy = {
      ...ort,
      InferenceSession: {
        create: (model: string, opts: { executionProviders: string[] }) => {
          asked.push(opts.executionProviders)
          return ort.InferenceSession.create(model, opts)
        },
      },
    } as unknown as typeof ort
    const { device } = await createOnnxSession(
      spy,
      sileroModelPath(),
      {},
      {
        probe: nvidiaMachine('550.54.14', [12]),
        providerInstalled: false,
      },
    )
    expect(asked).toEqual([['cpu']])
    expect(device.reason).toMatch(/CUDA provider is not installed/)
  })

  it('cudaProviderInstalled looks for both provider libraries', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'fws-ort-bin-'))
    try {
      expect(await cudaProviderInstalled(dir)).toBe(false)
      await writeFile(path.join(dir, ORT_CUDA_PROVIDER_FILES[0]!), '')
      expect(await cudaProviderInstalled(dir)).toBe(false)
      await writeFile(path.join(dir, ORT_CUDA_PROVIDER_FILES[1]!), '')
      expect(await cudaProviderInstalled(dir)).toBe(true)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
    expect(ortBinDir()).toMatch(/onnxruntime-node[\\/]bin[\\/]napi-v6[\\/]linux[\\/]x64$/)
  })

  it('the VAD on this machine (no provider, no driver) runs on the CPU and says why', async () => {
    const d = await vadDevice()
    if (!(await cudaProviderInstalled())) {
      expect(d.device).toBe('cpu')
      expect(d.reason).toMatch(/CUDA provider is not installed/)
    }
  })
})
