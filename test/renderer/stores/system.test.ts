// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import { setApi } from '../../../src-renderer/src/api'
import { useSystemStore } from '../../../src-renderer/src/stores/system'
import type { DoctorReport, ModelDeviceInfo } from '../../../src-main/contract/contract'
import { createFakeApi } from '../fake-api'

function withDevices(devices: ModelDeviceInfo[]) {
  const api = createFakeApi([])
  const base = api.system.doctor
  api.system.doctor = async (): Promise<DoctorReport> => ({ ...(await base()), devices })
  setApi(api)
}

const vad = (device: 'gpu' | 'cpu'): ModelDeviceInfo => ({
  model: 'silero-vad',
  runtime: 'onnxruntime',
  device,
  via: device === 'gpu' ? 'cuda' : 'cpu',
  reason: device === 'gpu' ? 'CUDA provider installed' : "onnxruntime-node's CUDA provider is not installed",
})
const emotion: ModelDeviceInfo = {
  model: 'emotion-meld',
  runtime: 'tfjs',
  device: 'cpu',
  via: 'wasm',
  reason: 'the wasm backend computes on the CPU',
}

beforeEach(() => setActivePinia(createPinia()))

describe('system store: devices', () => {
  it('says where the models run and why, one line per model', async () => {
    withDevices([emotion, vad('gpu')])
    const s = useSystemStore()
    await s.load()
    expect(s.devicesLabel).toBe('1/2 on GPU')
    expect(s.devicesWhy).toBe(
      'emotion-meld: CPU (tfjs wasm) — the wasm backend computes on the CPU\nsilero-vad: GPU (onnxruntime cuda) — CUDA provider installed',
    )
  })

  it('all on CPU', async () => {
    withDevices([emotion, vad('cpu')])
    const s = useSystemStore()
    await s.load()
    expect(s.devicesLabel).toBe('all on CPU')
  })
})
