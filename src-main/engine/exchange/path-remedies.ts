/**
 * What a user can do about a path error, per ExchangePathError code: the one list of the errors a
 * user fixes by choosing another location, worded for each front end — the CLI's flags (`--out`,
 * `--media`) and the app's file dialogs (where there are no flags).
 */
import type { ExchangePathCode } from './safe-path'

export interface PathRemedy {
  /** In the terms of `fws export`'s flags. */
  cli: string
  /** In the terms of a save/open dialog. */
  dialog: string
}

export const PATH_REMEDIES: Partial<Record<ExchangePathCode, PathRemedy>> = {
  unwritable: {
    cli: 'give an --out path in a folder you can write to',
    dialog: 'Choose a folder you can write to (for example inside your home or the project folder).',
  },
  timeout: { cli: 'give an --out path on a local disk', dialog: 'Choose a location on a local disk.' },
  'needs-folder': {
    cli: 'give a folder for --out (one file per media) or choose one item with --media <id>',
    dialog: 'For "all media" choose a folder (one file per media item), or pick one media item.',
  },
  'is-folder': {
    cli: 'give a file name for --out, or choose one item with --media <id>',
    dialog: 'Type a file name, or pick one media item to export a single file.',
  },
  'not-folder': { cli: 'give a folder for --out', dialog: 'Choose a folder, not a file.' },
  symlink: { cli: 'give another --out file name', dialog: 'Choose another file name.' },
}
