/**
 * A small XML serializer: documents are built as element trees and escaped here, in one place,
 * so user text (transcripts, translations, labels, file names) can never break or inject markup.
 * Owns: escaping of text and attribute values, removal of characters XML 1.0 cannot carry, name
 * checks, and indentation (only between elements, never inside text).
 */

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
