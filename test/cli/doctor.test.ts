import { describe, expect, it } from 'vitest'
import { formatDoctor } from '../../src-main/cli/commands/doctor'
import type { DoctorReport } from '../../src-main/contract/contract'
import { cudaProviderInstalled } from '../../src-main/engine/onnx-device'
import { doctorJson } from '../helpers/fws-doctor'

describe('fws doctor', () => {
  it('names the device of every model and why, with the GPU stack found', async () => {
    const r = await doctorJson()
    if ('error' in r.backend) throw new Error(r.backend.error)
    const usable = r.models.filter((m) => m.present && !m.problem).map((m) => m.name)
    expect(r.devices.map((d) => d.model)).toEqual([...usable, 'face-api', 'silero-vad'])
    for (const d of r.devices.filter((x) => x.runtime === 'tfjs')) {
      expect(d.via).toBe(r.backend.name)
      expect(d.device).toBe(r.backend.gpu ? 'gpu' : 'cpu')
      expect(d.reason.length).toBeGreaterThan(10)
    }
    const vad = r.devices.find((d) => d.model === 'silero-vad')!
    expect(vad.runtime).toBe('onnxruntime')
    if (!(await cudaProviderInstalled())) {
      expect(vad).toMatchObject({ device: 'cpu', via: 'cpu' })
      expect(vad.reason).toMatch(/CUDA provider is not installed .*npm run setup:gpu/)
    }
    expect(r.gpu.summary).toMatch(/NVIDIA driver|no NVIDIA driver/)
  }, 90_000)

  it('prints one device line per model', () => {
    const report: DoctorReport = {
      node: 'v20.20.2',
      platform: 'linux-x64',
      backend: {
        name: 'tensorflow-gpu',
        gpu: true,
        gpuVisible: true,
        forced: null,
        warning: null,
        attempts: [
          {
            name: 'tensorflow-gpu',
            package: '@tensorflow/tfjs-node-gpu',
            used: true,
            reason: 'first candidate that loaded',
          },
        ],
      },
      ffmpeg: { error: 'not here' },
      ffprobe: { error: 'not here' },
      models: [],
      gpu: { driver: '550.54.14', gpus: ['NVIDIA GeForce RTX 3090'], summary: 'NVIDIA driver 550.54.14' },
      devices: [
        {
          model: 'emotion-meld',
          runtime: 'tfjs',
          device: 'gpu',
          via: 'tensorflow-gpu',
          reason: 'driver and CUDA 11.2 found',
        },
        {
          model: 'silero-vad',
          runtime: 'onnxruntime',
          device: null,
          via: null,
          reason: 'onnxruntime-node is not installed',
        },
      ],
    }
    const text = formatDoctor(report)
    expect(text).toMatch(/GPU: NVIDIA driver 550\.54\.14\n/)
    expect(text).toMatch(/emotion-meld +GPU \(tfjs tensorflow-gpu\) — driver and CUDA 11\.2 found/)
    expect(text).toMatch(/silero-vad +CANNOT RUN \(onnxruntime\) — onnxruntime-node is not installed/)
  })
})
