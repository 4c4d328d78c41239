import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import type * as TF from '@tensorflow/tfjs'
import {
  chooseBackend,
  parseForcedBackend,
  realLoaders,
  type BackendLoaders,
} from '../../src-main/engine/backend'
import { noDriver, nvidiaMachine } from '../helpers/gpu-machines'

const require = createRequire(import.meta.url)
const tf = require('@tensorflow/tfjs') as typeof TF

/** Loaders that fail the way the real packages fail on a machine without libtensorflow. */
function missingBinding(pkg: string) {
  return async (): Promise<string> => {
    throw new Error(
      `The Node.js native addon module (tfjs_binding.node) can not be found at path: /x/node_modules/${pkg}/lib/napi-v8/tfjs_binding.node.`,
    )
  }
}
function notInstalled(pkg: string) {
  return async (): Promise<string> => {
    const e = new Error(`Cannot find module '${pkg}'`) as NodeJS.ErrnoException
    e.code = 'MODULE_NOT_FOUND'
    throw e
  }
}

const failingNative: BackendLoaders = {
  ...realLoaders,
  'tensorflow-gpu': missingBinding('@tensorflow/tfjs-node-gpu'),
  tensorflow: notInstalled('@tensorflow/tfjs-node'),
}

describe('backend choice', () => {
  it('falls back through the order and records why each candidate was not used', async () => {
    const choice = await chooseBackend(tf, { loaders: failingNative, probe: noDriver })
    expect(choice.name).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(choice.attempts.map((a) => [a.name, a.used])).toEqual([
      ['tensorflow-gpu', false],
      ['tensorflow', false],
      ['wasm', true],
    ])
    expect(choice.attempts[0]!.reason).toMatch(/native libtensorflow binding is missing.*npm run setup:gpu/)
    expect(choice.attempts[1]!.reason).toBe('@tensorflow/tfjs-node is not installed')
    expect(choice.warning).toMatch(/wasm backend/)
    expect(choice.gpu).toBe(false)
  })

  it('falls to the cpu backend when wasm fails too, and warns', async () => {
    const choice = await chooseBackend(tf, {
      loaders: { ...failingNative, wasm: async () => Promise.reject(new Error('WebAssembly is disabled')) },
      probe: noDriver,
    })
    expect(choice.name).toBe('cpu')
    expect(choice.attempts.find((a) => a.name === 'wasm')!.reason).toMatch(/WebAssembly is disabled/)
    expect(choice.warning).toMatch(/pure JavaScript/)
  })

  it('prefers the first candidate that loads', async () => {
    const order: string[] = []
    const loaders: BackendLoaders = {
      'tensorflow-gpu': async () => (
        order.push('gpu'),
        Promise.reject(new Error('libcudart.so.11.0: cannot open shared object file'))
      ),
      tensorflow: async () => (order.push('node'), 'cpu'), // stands in for a working tfjs-node
      wasm: async () => (order.push('wasm'), 'wasm'),
      cpu: async () => (order.push('cpu'), 'cpu'),
    }
    const choice = await chooseBackend(tf, { loaders, probe: nvidiaMachine('550.54.14', [11]) })
    expect(order).toEqual(['gpu', 'node'])
    expect(choice.name).toBe('tensorflow')
    expect(choice.attempts[0]!.reason).toMatch(/CUDA libraries are missing/)
    expect(choice.warning).toMatch(
      /^NVIDIA GPU present, tfjs on the CPU \(tfjs-node is the CPU build of TensorFlow; tfjs-node-gpu not used: .*libcudart\.so\.11\.0: cannot open shared object file\)$/,
    )
  })

  /**
   * tfjs-node-gpu with its binding loads whatever the machine has (libtensorflow dlopens CUDA
   * lazily and falls back to the CPU); 'cpu' stands in for its registered backend here.
   */
  const gpuPackageLoads: BackendLoaders = { ...failingNative, 'tensorflow-gpu': async () => 'cpu' }

  it('tfjs-node-gpu on a machine with the driver and CUDA 11.2 / cuDNN 8.1: GPU', async () => {
    const choice = await chooseBackend(tf, {
      loaders: gpuPackageLoads,
      probe: nvidiaMachine('535.129.03', [11]),
    })
    expect(choice.name).toBe('tensorflow-gpu')
    expect(choice.gpu).toBe(true)
    expect(choice.deviceReason).toMatch(
      /NVIDIA driver 535\.129\.03 \(NVIDIA GeForce RTX 3090\) and CUDA 11\.2/,
    )
    expect(choice.warning).toBeNull()
  })

  it('tfjs-node-gpu loads but the CUDA 11 libraries are missing (CUDA 12 only): CPU, and says which', async () => {
    const choice = await chooseBackend(tf, {
      loaders: gpuPackageLoads,
      probe: nvidiaMachine('550.54.14', [12]),
    })
    expect(choice.name).toBe('tensorflow-gpu')
    expect(choice.gpu).toBe(false)
    expect(choice.gpuVisible).toBe(true)
    expect(choice.deviceReason).toMatch(
      /computes on the CPU: CUDA 11\.2 .*not found by the loader: libcudart\.so\.11\.0/,
    )
    expect(choice.attempts[0]!.reason).toMatch(/first candidate that loaded \(TensorFlow computes on the CPU/)
    expect(choice.warning).toMatch(
      /^NVIDIA GPU present, tfjs on the CPU \(TensorFlow computes on the CPU: CUDA 11\.2/,
    )
  })

  it('tfjs-node-gpu loads but the driver is too old for CUDA 11.2: CPU, and names the driver', async () => {
    const choice = await chooseBackend(tf, {
      loaders: gpuPackageLoads,
      probe: nvidiaMachine('418.87.01', [11]),
    })
    expect(choice.gpu).toBe(false)
    expect(choice.deviceReason).toMatch(/NVIDIA driver 418\.87\.01 is older than 450\.80\.02/)
  })

  it('tfjs-node-gpu loads with no driver at all: CPU', async () => {
    const choice = await chooseBackend(tf, { loaders: gpuPackageLoads, probe: noDriver })
    expect(choice.gpu).toBe(false)
    expect(choice.gpuVisible).toBe(false)
    expect(choice.deviceReason).toMatch(/no NVIDIA driver \(nvidia-smi not found/)
  })

  it('honours a forced backend and fails loudly when the forced one cannot load', async () => {
    const forced = await chooseBackend(tf, { force: 'cpu', loaders: failingNative, probe: noDriver })
    expect(forced.name).toBe('cpu')
    expect(forced.forced).toBe('cpu')
    expect(forced.attempts.filter((a) => a.used)).toHaveLength(1)
    await expect(
      chooseBackend(tf, { force: 'tensorflow', loaders: failingNative, probe: noDriver }),
    ).rejects.toThrow(
      /FWS_BACKEND forces tensorflow, but it cannot be used: @tensorflow\/tfjs-node is not installed/,
    )
  })

  it('parses FWS_BACKEND values and rejects unknown ones', () => {
    expect(parseForcedBackend(undefined)).toBeNull()
    expect(parseForcedBackend('WASM')).toBe('wasm')
    expect(parseForcedBackend('tfjs-node-gpu')).toBe('tensorflow-gpu')
    expect(() => parseForcedBackend('metal')).toThrow(/not a backend/)
  })

  it('the real packages here: native ones fail with the binding message, wasm loads', async () => {
    const choice = await chooseBackend(tf, { probe: noDriver })
    expect(['tensorflow-gpu', 'tensorflow', 'wasm']).toContain(choice.name)
    if (choice.name === 'wasm') {
      for (const a of choice.attempts.slice(0, 2))
        expect(a.reason).toMatch(/binding is missing|not installed/)
      expect(choice.deviceReason).toMatch(/wasm backend computes on the CPU/)
    }
  })

  it('the real error of a package that is not installed is read as "not installed"', async () => {
    const loaders: BackendLoaders = {
      ...realLoaders,
      'tensorflow-gpu': async () => {
        require('@tensorflow/tfjs-node-gpu-not-a-package')
        return 'tensorflow'
      },
    }
    await expect(chooseBackend(tf, { force: 'tensorflow-gpu', loaders, probe: noDriver })).rejects.toThrow(
      /cannot be used: @tensorflow\/tfjs-node-gpu is not installed$/,
    )
  })
})
