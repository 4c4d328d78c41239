/**
 * The corpus-path options shared by `fws train emotion`, `fws finetune` and `fws eval emotion`:
 * what to do with corpus lines whose media path leaves the corpus folder, and which other folders
 * media may be in. The check itself is the corpus reader's (engine/models/corpus.ts).
 */
import type { Command } from 'commander'
import type { ReadCorpusOptions } from '../engine/models/corpus'
import { CliError } from './output'

export interface CorpusPathCliOptions {
  outsideMedia: string
  mediaRoot?: string[]
}

export function addCorpusPathOptions(cmd: Command): Command {
  return cmd
    .option(
      '--outside-media <policy>',
      'corpus lines whose media path leaves the corpus folder: stop (refuse the corpus before any ' +
        'training; default, so a corpus never shrinks unnoticed) or skip (leave those lines out, listed)',
      'stop',
    )
    .option(
      '--media-root <dirs...>',
      'folders besides the corpus folder that corpus media may be in (e.g. the media of an exported project)',
    )
}

export function corpusReadOptions(o: CorpusPathCliOptions): ReadCorpusOptions {
  if (o.outsideMedia !== 'stop' && o.outsideMedia !== 'skip')
    throw new CliError(`--outside-media must be stop or skip, got '${o.outsideMedia}'`, 2)
  return { outsideMedia: o.outsideMedia, mediaRoots: o.mediaRoot ?? [] }
}
