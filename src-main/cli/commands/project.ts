/**
 * `fws project create|add|info|list|edit|undo|redo`: the project store from the command line (same
 * engine functions as the app). Every change is committed to the project file before the
 * command prints its result.
 */
import { existsSync } from 'node:fs'
import type { Command } from 'commander'
import { EMOTIONS, editInput, type UtteranceRow } from '../../contract/contract'
import { addMediaFiles } from '../../engine/project/media-add'
import { ProjectStore } from '../../engine/project/store'
import { abortOnStopSignals, cancelledError, CliError, printJson } from '../output'

/** Opens a project for one command and always closes it. */
export async function withProject<T>(file: string, fn: (s: ProjectStore) => Promise<T> | T): Promise<T> {
  const store = ProjectStore.open(file)
  try {
    return await fn(store)
  } finally {
    store.close()
  }
}

/** The media id to use: the given one, or the only media of the project. */
export function pickMedia(store: ProjectStore, mediaId: string | undefined): string {
  const media = store.listMedia()
  if (mediaId) {
    if (!media.some((m) => m.id === mediaId))
      throw new CliError(
        `no media "${mediaId}" in ${store.path} (media: ${media.map((m) => m.id).join(', ') || 'none'})`,
        2,
      )
    return mediaId
  }
  if (media.length === 1) return media[0].id
  throw new CliError(
    media.length
      ? `the project has ${media.length} media files: choose one with --media (${media.map((m) => `${m.id} ${m.name}`).join(', ')})`
      : 'the project has no media yet: add some with `fws project add`',
    2,
  )
}

function formatRow(r: UtteranceRow): string {
  const t = (s: number) => s.toFixed(3).padStart(9)
  const emo = r.emotion ? `${r.emotion} (${r.emotionProvenance})` : '-'
  // Review state per field: transcript / translation (the emotion's is next to its label).
  const states = `text:${r.transcriptProvenance ?? 'empty'} tr:${r.translationProvenance ?? '-'}`
  return `${String(r.index).padStart(4)} ${r.id} ${t(r.start)} ${t(r.end)}  ${emo.padEnd(22)} ${states.padEnd(28)} ${JSON.stringify(r.transcript)}`
}

/** `fws project add`: each file is saved as it is added, so a stop keeps the ones before it. */
async function addMedia(file: string, media: string[], opts: { json?: boolean }): Promise<void> {
  const stop = abortOnStopSignals()
  try {
    const store = existsSync(file) ? ProjectStore.open(file) : ProjectStore.create(file)
    try {
      const added = await addMediaFiles(store, media, {
        signal: stop.abortSignal,
        onProgress: (f, name) => {
          if (process.stderr.isTTY)
            process.stderr.write(`\r${(f * 100).toFixed(0).padStart(3)}% ${name}\x1b[K`)
        },
      })
      if (process.stderr.isTTY) process.stderr.write('\n')
      if (opts.json) printJson(added)
      else
        for (const m of added)
          process.stdout.write(
            `${m.id}  ${m.name}  ${m.durationSec.toFixed(2)} s  ${m.utteranceCount} utterances\n`,
          )
    } finally {
      store.close()
    }
  } catch (err) {
    if (stop.abortSignal.aborted)
      throw cancelledError(err, stop, 'cancelled: the media added before the stop are saved')
    throw err
  } finally {
    stop.off()
  }
}

export function registerProject(program: Command): void {
  const project = program
    .command('project')
    .description('create and inspect project files, add media, correct utterances')

  project
    .command('create')
    .argument('<file>', 'new project file (.fwsproj)')
    .description('create an empty project file')
    .action((file: string) => {
      const s = ProjectStore.create(file)
      process.stdout.write(`created ${s.path} (schema ${s.info().schemaVersion})\n`)
      s.close()
    })

  project
    .command('add')
    .argument('<file>', 'project file (created if missing)')
    .argument('<media...>', 'media files to add')
    .option('--json', 'print the added media as JSON')
    .description('add media files: probe, content hash, and utterances from subtitles or voice activity')
    .action(addMedia)

  project
    .command('info')
    .argument('<file>', 'project file')
    .option('--json', 'print as JSON')
    .description('schema version, media, utterance counts, undo/redo state')
    .action((file: string, opts: { json?: boolean }) =>
      withProject(file, (s) => {
        const info = { ...s.info(), media: s.listMedia(), corrections: s.corrections().length }
        if (opts.json) return printJson(info)
        process.stdout.write(
          `${info.path}\nschema ${info.schemaVersion}, ${info.mediaCount} media, ${info.utteranceCount} utterances, ${info.corrections} corrections, undo ${info.canUndo ? 'yes' : 'no'}, redo ${info.canRedo ? 'yes' : 'no'}\n` +
            info.media
              .map(
                (m) =>
                  `  ${m.id}  ${m.name}  ${m.durationSec.toFixed(2)} s  ${m.utteranceCount} utterances  ${m.path}\n`,
              )
              .join(''),
        )
      }),
    )

  project
    .command('list')
    .argument('<file>', 'project file')
    .option('--media <id>', 'only this media item')
    .option('--json', 'print UtteranceRow objects as JSON')
    .description('list utterances with their values and provenance')
    .action((file: string, opts: { media?: string; json?: boolean }) =>
      withProject(file, (s) => {
        const rows = s.listUtterances(opts.media)
        if (opts.json) printJson(rows)
        else process.stdout.write(rows.map(formatRow).join('\n') + (rows.length ? '\n' : ''))
      }),
    )

  project
    .command('edit')
    .argument('<file>', 'project file')
    .argument(
      '<json>',
      `one edit as JSON, e.g. '{"kind":"label","utteranceId":"u_…","emotion":"joy"}' (labels: ${EMOTIONS.join(', ')})`,
    )
    .description('apply one correction (label, accept, transcript, translation, bounds, split, merge)')
    .action((file: string, json: string) => {
      let raw: unknown
      try {
        raw = JSON.parse(json)
      } catch (err) {
        throw new CliError(`the edit is not valid JSON: ${(err as Error).message}`, 2)
      }
      const parsed = editInput.safeParse(raw)
      if (!parsed.success)
        throw new CliError(
          `invalid edit: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(edit)'}: ${i.message}`).join('; ')}`,
          2,
        )
      return withProject(file, (s) => {
        const r = s.applyEdit(parsed.data)
        process.stdout.write(
          `history ${r.historyId}: ${r.changed.length} changed, ${r.removed.length} removed\n`,
        )
      })
    })

  for (const dir of ['undo', 'redo'] as const)
    project
      .command(dir)
      .argument('<file>', 'project file')
      .description(`${dir} the last ${dir === 'undo' ? '' : 'undone '}change`)
      .action((file: string) =>
        withProject(file, (s) => {
          const r = dir === 'undo' ? s.undo() : s.redo()
          process.stdout.write(r ? `${dir}: history ${r.historyId}\n` : `nothing to ${dir}\n`)
        }),
      )
}
