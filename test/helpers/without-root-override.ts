/**
 * Root reads and writes past file permissions (CAP_DAC_OVERRIDE), so a test of a permission error
 * run as root would check nothing. `withoutRootOverride` turns a command into one that, when the
 * tests run as root, starts through `setpriv` (util-linux) without those capabilities; as anyone
 * else it is the command as given.
 */
export function withoutRootOverride(command: string, args: string[]): [string, string[]] {
  if (process.getuid?.() !== 0) return [command, args]
  return ['setpriv', ['--bounding-set=-dac_override,-dac_read_search', '--', command, ...args]]
}
