/**
 * The engine's one XML library: reading and writing the XML documents we exchange (ELAN .eaf in
 * both directions).
 *
 * Reading: a small, linear-time reader for machine-written documents: one pass over the string,
 * calling back for each start tag, end tag and run of text. Owns well-formedness (every element
 * closed, in order; one root; tags, comments and CDATA terminated), attribute parsing (quoted values
 * may contain '>'), the five XML entities and character references (the HTML-style names subtitle
 * files use are decoded too; no DTD entity is ever expanded), and the 1-based line of each event.
 * What is not well-formed is an XmlSyntaxError naming the line, which the caller words for its file.
 *
 * Writing: documents are built as element trees and escaped here, in one place, so user text
 * (transcripts, translations, labels, file names) can never break or inject markup. Owns: escaping
 * of text and attribute values, removal of characters XML 1.0 cannot carry, name checks, and
 * indentation (only between elements, never inside text).
 */

/** A document that is not well-formed, at a 1-based line. */
export class XmlSyntaxError extends Error {
  override name = 'XmlSyntaxError'
  constructor(
    readonly line: number,
    readonly what: string,
  ) {
    super(`line ${line}: ${what}`)
  }
}

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  lrm: '',
  rlm: '',
}

/** Decode HTML/XML entities (&amp; &#39; &#x2014; &nbsp; ...). */
export function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (all, e: string) => {
    if (e[0] === '#') {
      const code = e[1] === 'x' || e[1] === 'X' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : all
    }
    const v = ENTITIES[e.toLowerCase()]
    return v ?? all
  })
}

// ---- reading ----

export interface XmlHandlers {
  /** A start tag (also called for an empty element `<x/>`, followed by its `close`). */
  open(name: string, attrs: Record<string, string>, line: number): void
  close(name: string, line: number): void
  /** Character data, entities decoded; CDATA sections arrive verbatim. */
  text(value: string): void
}

/** XML name characters (ASCII letters, digits, _ : . - and everything from U+00B7 up). */
function isNameChar(c: number, first: boolean): boolean {
  if ((c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 58 || c >= 0xc0) return true
  if (first) return false
  return (c >= 48 && c <= 57) || c === 46 || c === 45 || c === 0xb7
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 9 || c === 13
}

/** Entity decoding only where there is an entity (most runs have none). */
function decode(raw: string): string {
  return raw.includes('&') ? decodeEntities(raw) : raw
}

/** Reads `src` (newlines already normalised to LF) from start to end, calling `h` for each event. */
export function readXml(src: string, h: XmlHandlers): void {
  const stack: { name: string; line: number }[] = []
  let pos = 0
  let line = 1
  let lineAt = 0
  let sawRoot = false
  /** The line of offset `at` (offsets are only ever asked for in increasing order: linear overall). */
  const lineOf = (at: number): number => {
    for (;;) {
      const nl = src.indexOf('\n', lineAt)
      if (nl < 0 || nl >= at) break
      line++
      lineAt = nl + 1
    }
    if (at > lineAt) lineAt = at
    return line
  }
  const fail = (at: number, what: string) => new XmlSyntaxError(lineOf(at), what)
  const expectEnd = (from: number, end: string, what: string): number => {
    const i = src.indexOf(end, from)
    if (i < 0) throw fail(from, `${what} is never closed (no "${end}")`)
    return i
  }

  while (pos < src.length) {
    const lt = src.indexOf('<', pos)
    const textEnd = lt < 0 ? src.length : lt
    if (textEnd > pos) {
      const raw = src.slice(pos, textEnd)
      if (stack.length) h.text(decode(raw))
      else if (raw.trim() !== '')
        throw fail(pos, `text outside the root element: "${raw.trim().slice(0, 40)}"`)
    }
    if (lt < 0) break
    pos = lt
    if (src.startsWith('<!--', pos)) {
      pos = expectEnd(pos + 4, '-->', 'a comment') + 3
    } else if (src.startsWith('<![CDATA[', pos)) {
      const end = expectEnd(pos + 9, ']]>', 'a CDATA section')
      if (!stack.length) throw fail(pos, 'a CDATA section outside the root element')
      h.text(src.slice(pos + 9, end))
      pos = end + 3
    } else if (src.startsWith('<?', pos)) {
      pos = expectEnd(pos + 2, '?>', 'a processing instruction') + 2
    } else if (src.startsWith('<!DOCTYPE', pos)) {
      // Skipped, internal subset included; its entities are never expanded.
      const bracket = src.indexOf('[', pos)
      const gt = expectEnd(pos, '>', 'the DOCTYPE')
      pos =
        bracket >= 0 && bracket < gt
          ? expectEnd(expectEnd(bracket, ']', 'the DOCTYPE'), '>', 'the DOCTYPE') + 1
          : gt + 1
    } else if (src[pos + 1] === '/') {
      const gt = expectEnd(pos, '>', 'an end tag')
      const name = src.slice(pos + 2, gt).trim()
      const top = stack.pop()
      if (!top) throw fail(pos, `end tag </${name}> without a start tag`)
      if (top.name !== name)
        throw fail(pos, `end tag </${name}> does not match <${top.name}> opened on line ${top.line}`)
      h.close(name, lineOf(pos))
      pos = gt + 1
    } else {
      pos = readStartTag(pos)
    }
  }
  const open = stack.at(-1)
  if (open)
    throw new XmlSyntaxError(open.line, `element <${open.name}> is never closed (the file ends first)`)
  if (!sawRoot) throw new XmlSyntaxError(1, 'no XML element in the file')

  /** Reads `<name attr="v" ...>` or `<name .../>` starting at `at`; returns the offset after it. */
  function readStartTag(at: number): number {
    const tagLine = lineOf(at)
    let i = at + 1
    if (!isNameChar(src.charCodeAt(i), true))
      throw fail(at, `"<" does not start a tag (write &lt; for a literal "<")`)
    while (i < src.length && isNameChar(src.charCodeAt(i), false)) i++
    const name = src.slice(at + 1, i)
    const attrs: Record<string, string> = {}
    for (;;) {
      while (i < src.length && isSpace(src.charCodeAt(i))) i++
      if (i >= src.length) throw fail(at, `the tag <${name} is never closed (no ">")`)
      const c = src[i]!
      if (c === '>' || (c === '/' && src[i + 1] === '>')) {
        if (!stack.length && sawRoot) throw fail(at, `a second root element <${name}>`)
        sawRoot = true
        h.open(name, attrs, tagLine)
        if (c === '/') {
          h.close(name, tagLine)
          return i + 2
        }
        stack.push({ name, line: tagLine })
        return i + 1
      }
      const ns = i
      while (i < src.length && isNameChar(src.charCodeAt(i), i === ns)) i++
      if (i === ns) throw fail(i, `unexpected "${c}" in the tag <${name}>`)
      const key = src.slice(ns, i)
      while (i < src.length && isSpace(src.charCodeAt(i))) i++
      if (src[i] !== '=') throw fail(i, `attribute ${key} of <${name}> has no value`)
      i++
      while (i < src.length && isSpace(src.charCodeAt(i))) i++
      const q = src[i]
      if (q !== '"' && q !== "'") throw fail(i, `the value of attribute ${key} of <${name}> is not quoted`)
      const end = src.indexOf(q, i + 1)
      if (end < 0) throw fail(i, `the value of attribute ${key} of <${name}> is never closed`)
      if (key in attrs) throw fail(i, `attribute ${key} appears twice in <${name}>`)
      attrs[key] = decode(src.slice(i + 1, end))
      i = end + 1
    }
  }
}

// ---- writing ----

export interface XmlElement {
  name: string
  attrs: [string, string][]
  children: (XmlElement | string)[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9._:-]*$/

/** Builds an element; attributes with null/undefined values are omitted; numbers are stringified. */
export function el(
  name: string,
  attrs: Record<string, string | number | boolean | null | undefined> = {},
  children: (XmlElement | string | null | undefined | false)[] = [],
): XmlElement {
  if (!NAME.test(name)) throw new Error(`invalid XML element name "${name}"`)
  const a: [string, string][] = []
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null) continue
    if (!NAME.test(k)) throw new Error(`invalid XML attribute name "${k}"`)
    a.push([k, String(v)])
  }
  return {
    name,
    attrs: a,
    children: children.filter((c): c is XmlElement | string => c != null && c !== false),
  }
}

/** Drops code points XML 1.0 forbids (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
export function xmlSafe(s: string): string {
  let out = ''
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    const ok =
      c === 0x9 ||
      c === 0xa ||
      c === 0xd ||
      (c >= 0x20 && c <= 0xd7ff) ||
      (c >= 0xe000 && c <= 0xfffd) ||
      (c >= 0x10000 && c <= 0x10ffff)
    if (ok) out += ch
  }
  return out
}

/** Escapes element text. CR is written as a reference because parsers normalise a raw CR away. */
export function escapeText(s: string): string {
  return xmlSafe(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#13;')
}

/** Escapes an attribute value (double-quoted); whitespace other than space is kept via references. */
export function escapeAttr(s: string): string {
  return xmlSafe(s)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#9;')
    .replace(/\n/g, '&#10;')
    .replace(/\r/g, '&#13;')
}

/** Serializes a document with an XML declaration; indentation only where an element has no text. */
export function serialize(root: XmlElement, indent = '\t'): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>\n']
  const write = (e: XmlElement, depth: number) => {
    const pad = indent.repeat(depth)
    const attrs = e.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('')
    if (!e.children.length) {
      out.push(`${pad}<${e.name}${attrs}/>\n`)
      return
    }
    if (e.children.some((c) => typeof c === 'string')) {
      // Mixed or text content: no added whitespace, or it would become part of the text.
      out.push(`${pad}<${e.name}${attrs}>`)
      const inline = (c: XmlElement | string): string => {
        if (typeof c === 'string') return escapeText(c)
        const at = c.attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('')
        return c.children.length
          ? `<${c.name}${at}>${c.children.map(inline).join('')}</${c.name}>`
          : `<${c.name}${at}/>`
      }
      out.push(e.children.map(inline).join(''))
      out.push(`</${e.name}>\n`)
      return
    }
    out.push(`${pad}<${e.name}${attrs}>\n`)
    for (const c of e.children) write(c as XmlElement, depth + 1)
    out.push(`${pad}</${e.name}>\n`)
  }
  write(root, 0)
  return out.join('')
}
