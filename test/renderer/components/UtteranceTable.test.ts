// @vitest-environment happy-dom
import { beforeEach, describe, expect, it } from 'vitest'
import { mount } from '@vue/test-utils'
import UtteranceTable from '../../../src-renderer/src/components/UtteranceTable.vue'
import { loadDraft } from '../../../src-renderer/src/util/drafts'
import { predicted, row } from '../fake-api'

const many = Array.from({ length: 10_000 }, (_, i) =>
  i % 3 ? row(i) : predicted(i, { joy: 0.7, neutral: 0.2, anger: 0.1 }),
)

beforeEach(() => localStorage.clear())

describe('UtteranceTable', () => {
  it('renders only the rows in view out of 10,000', () => {
    const w = mount(UtteranceTable, { props: { rows: many, selectedId: null } })
    const rendered = w.findAll('.tr')
    // 600 px viewport / 32 px rows + overscan on both sides.
    expect(rendered.length).toBeGreaterThan(15)
    expect(rendered.length).toBeLessThan(50)
    expect(w.find('.utable-spacer').attributes('style')).toContain(`height: ${10_000 * 32}px`)
    expect(w.find('.utable').attributes('aria-rowcount')).toBe('10000')
  })

  it('renders the rows at the scroll position', async () => {
    const w = mount(UtteranceTable, { props: { rows: many, selectedId: null } })
    const body = w.find('[data-testid="utable-body"]')
    ;(body.element as HTMLElement).scrollTop = 5000 * 32
    await body.trigger('scroll')
    const idx = w.findAll('.tr').map((r) => Number(r.attributes('data-index')))
    expect(idx).toContain(5000)
    expect(Math.min(...idx)).toBeGreaterThan(4980)
    // The rendered window sits at its first row's offset; rows follow in order inside it.
    const first = Math.min(...idx)
    expect(w.find('.utable-window').attributes('style')).toContain(`translateY(${first * 32}px)`)
    expect(idx).toEqual(Array.from({ length: idx.length }, (_, i) => first + i))
  })

  it('shows emotion, a confidence bar, translation and provenance', () => {
    const w = mount(UtteranceTable, { props: { rows: many.slice(0, 3), selectedId: 'u0' } })
    const first = w.find('.tr[data-id="u0"]')
    expect(first.classes()).toContain('selected')
    expect(first.find('[data-col="emotion"]').text()).toBe('joy')
    expect(first.find('.fill').attributes('style')).toContain('width: 70%')
    expect(first.find('[data-col="translation"]').text()).toBe('Zeile 0')
    expect(first.find('.badge').text()).toBe('model')
    expect(w.find('.tr[data-id="u1"] [data-col="emotion"]').text()).toBe('—')
  })

  it('says "no evidence" instead of a confidence bar when the model had nothing to go on', () => {
    const reason = 'no evidence: the model was trained on text only and this utterance has no transcript'
    const w = mount(UtteranceTable, {
      props: { rows: [row(0, { transcript: '', emotionNoEvidence: reason })], selectedId: null },
    })
    const conf = w.find('.tr[data-id="u0"] [data-col="confidence"]')
    expect(conf.find('.bar').exists()).toBe(false)
    expect(conf.text()).toBe('no evidence')
    expect(conf.find('span').attributes('title')).toBe(reason)
    expect(w.find('.tr[data-id="u0"] [data-col="emotion"]').text()).toBe('—')
  })

  it('selects on click and asks for sorting from the header', async () => {
    const w = mount(UtteranceTable, { props: { rows: many.slice(0, 5), selectedId: null } })
    await w.find('.tr[data-id="u2"]').trigger('mousedown')
    expect(w.emitted('select')).toEqual([['u2']])
    await w
      .findAll('.th')
      .find((h) => h.text().startsWith('Conf'))!
      .trigger('click')
    expect(w.emitted('sort')).toEqual([['confidence']])
  })

  it('edits a cell inline, keeping a draft until committed', async () => {
    const rows = many.slice(0, 3)
    const w = mount(UtteranceTable, {
      props: { rows, selectedId: 'u0', editing: { id: 'u0', field: 'translation' }, draftScope: 'p' },
      attachTo: document.body,
    })
    const input = w.find('input.cell-editor')
    expect((input.element as HTMLInputElement).value).toBe('Zeile 0')
    await input.setValue('Hallo Welt')
    expect(loadDraft('p', 'u0', 'translation')).toBe('Hallo Welt')
    await input.trigger('keydown', { key: 'Enter' })
    expect(w.emitted('commit')).toEqual([[{ id: 'u0', field: 'translation', text: 'Hallo Welt' }]])
    // The draft stays until the caller has the engine's acknowledgement.
    expect(loadDraft('p', 'u0', 'translation')).toBe('Hallo Welt')
    w.unmount()
  })

  it('offers a recovered draft after a crash, and Escape discards it', async () => {
    localStorage.setItem(
      'fws.draft.p\u0000u1\u0000transcript',
      JSON.stringify({ text: 'typed before crash', at: 1 }),
    )
    const w = mount(UtteranceTable, {
      props: {
        rows: many.slice(0, 3),
        selectedId: 'u1',
        editing: { id: 'u1', field: 'transcript' },
        draftScope: 'p',
      },
    })
    const input = w.find('input.cell-editor')
    expect((input.element as HTMLInputElement).value).toBe('typed before crash')
    expect(w.find('.recovered').exists()).toBe(true)
    await input.trigger('keydown', { key: 'Escape' })
    expect(w.emitted('cancel-edit')).toHaveLength(1)
    expect(loadDraft('p', 'u1', 'transcript')).toBeNull()
  })
})
