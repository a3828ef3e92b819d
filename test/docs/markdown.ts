/**
 * Reading the repository's Markdown for the documentation tests (test/docs.test.ts): fenced
 * code blocks with their `// ->` expectations, headings as GitHub turns them into anchors, and
 * the relative links each file makes. The conventions are in docs/writing-docs.md.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';

/** Folders never searched for Markdown (besides hidden ones): dependencies and build outputs at any depth... */
const SKIP_DIRS = new Set(['node_modules', 'out', 'dist']);
/** ...and, at the top, training runs and a checkout's shared/ folder (not part of the repository). */
const SKIP_TOP = new Set(['runs', 'shared']);

/**
 * Every Markdown file of the repository under `root` (tracked, or new and not git-ignored, so
 * generated output such as docs/api/ is left out), as repository-relative paths with `/`,
 * sorted. Without git, a walk that skips the known output folders.
 */
export function markdownFiles(root: string): string[] {
  try {
    const out = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z', '--', '*.md'], { cwd: root, encoding: 'utf8' });
    const files = out.split('\0').filter((f) => f && existsSync(join(root, f)) && !f.split('/').some((part) => SKIP_DIRS.has(part)));
    if (files.length) return [...new Set(files)].sort();
  } catch {
    // not a git checkout: walk instead
  }
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        const skip = SKIP_DIRS.has(entry.name) || entry.name.startsWith('.') || (dir === root && SKIP_TOP.has(entry.name)) || relative(root, join(dir, entry.name)) === join('docs', 'api');
        if (!skip) walk(join(dir, entry.name));
      } else if (entry.isFile() && entry.name.endsWith('.md')) {
        found.push(relative(root, join(dir, entry.name)).split(sep).join('/'));
      }
    }
  };
  walk(root);
  return found.sort();
}

/** The files whose TypeScript blocks are executed: README.md, packages/NAME/README.md, docs/ (all depths). */
export function isExecutedDoc(file: string): boolean {
  return file === 'README.md' || /^packages\/[^/]+\/README\.md$/.test(file) || file.startsWith('docs/');
}

export interface CodeBlock {
  /** Repository-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The fence's language (`ts`, `sh`, ... ; '' when none). */
  lang: string;
  /** The words after the language (`fragment`). */
  flags: string[];
  /** The code, with the opening fence's indentation removed. */
  code: string;
}

const FENCE = /^(\s*)(`{3,}|~{3,})(.*)$/;

/** The fenced code blocks of a Markdown text, in order. */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, info] = open as unknown as [string, string, string, string];
    if (fence[0] === '`' && info.includes('`')) continue; // not a fence: an inline code span
    const [lang = '', ...flags] = info.trim().split(/\s+/).filter(Boolean);
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const close = FENCE.exec(lines[j]!);
      if (close && close[2]![0] === fence[0] && close[2]!.length >= fence.length && close[3]!.trim() === '') break;
      const l = lines[j]!;
      // Content lines lose up to the opening fence's indentation (as CommonMark says).
      let k = 0;
      while (k < indent.length && l[k] === ' ') k++;
      body.push(l.slice(k));
    }
    blocks.push({ file, line: i + 1, lang: lang.toLowerCase(), flags, code: body.join('\n') });
    i = j;
  }
  return blocks;
}

export const isTypeScript = (b: CodeBlock): boolean => b.lang === 'ts' || b.lang === 'typescript';
export const isFragment = (b: CodeBlock): boolean => b.flags.includes('fragment');

/**
 * What a block must print: the texts of its `// ->` comments in order, one printed line each.
 * `// -> text` stands for the line `text` (one space after the arrow is part of the marker;
 * the rest, leading spaces included, is the line); a bare `// ->` stands for an empty line.
 * Returns each expected line with the block-relative (0-based) line it was written on.
 */
export function expectedOutput(code: string): { text: string; line: number }[] {
  const out: { text: string; line: number }[] = [];
  code.split('\n').forEach((l, line) => {
    const m = /\/\/ ->(?: (.*))?$/.exec(l);
    if (m) out.push({ text: (m[1] ?? '').trimEnd(), line });
  });
  return out;
}

/** GitHub's anchor for a heading text (github-slugger): lowercase, punctuation dropped, spaces to hyphens. */
export function slugify(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links and images: their text
    .replace(/<[^>]+>/g, '') // HTML tags
    .replace(/`/g, '')
    .replace(/\*+/g, '');
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
    .replace(/ /g, '-');
}

/** The text with fenced code blocks blanked (kept as empty lines, so line numbers hold). */
function withoutFences(text: string): string[] {
  const lines = text.split('\n');
  for (const b of codeBlocks('', text)) {
    const end = b.line + b.code.split('\n').length; // the closing fence's 0-based index
    for (let i = b.line - 1; i <= Math.min(end, lines.length - 1); i++) lines[i] = '';
  }
  return lines;
}

/** Every anchor a Markdown text defines: heading slugs (with GitHub's -1, -2 for repeats) and `<a id|name>`. */
export function anchors(text: string): Set<string> {
  const lines = withoutFences(text);
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const addHeading = (h: string): void => {
    const base = slugify(h);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  };
  lines.forEach((l, i) => {
    const atx = /^ {0,3}#{1,6}(?:\s+(.*?))?(?:\s+#+)?\s*$/.exec(l);
    if (atx) addHeading(atx[1] ?? '');
    else if (i > 0 && /^ {0,3}(=+|-+)\s*$/.test(l) && lines[i - 1]!.trim() !== '' && !/^ {0,3}([-*+]\s|#|>|\|)/.test(lines[i - 1]!)) addHeading(lines[i - 1]!.trim());
    for (const m of l.matchAll(/<[a-z][^>]*\s(?:id|name)\s*=\s*["']([^"']+)["']/gi)) out.add(m[1]!);
  });
  return out;
}

export interface Link {
  /** 1-based line. */
  line: number;
  target: string;
}

/** The links and images of a Markdown text (inline, reference definitions, HTML href/src), outside code. */
export function links(text: string): Link[] {
  const out: Link[] = [];
  withoutFences(text).forEach((raw, i) => {
    const l = raw.replace(/(`+)(?:(?!\1).)+\1/g, (s) => ' '.repeat(s.length)); // code spans
    for (const m of l.matchAll(/!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]*)>?(?:\s+["'][^"']*["'])?\s*\)/g)) out.push({ line: i + 1, target: m[1]! });
    const def = /^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+["'(].*)?$/.exec(l);
    if (def) out.push({ line: i + 1, target: def[1]! });
    for (const m of l.matchAll(/<(?:a|img)\s[^>]*(?:href|src)\s*=\s*["']([^"']+)["']/gi)) out.push({ line: i + 1, target: m[1]! });
  });
  return out;
}

const anchorCache = new Map<string, Set<string>>();

/**
 * The problems with the relative links of one Markdown file: a target that does not exist, or
 * an `#anchor` the target Markdown file does not define. External links (with a scheme, or
 * `//host`) are not checked; anchors into non-Markdown files (`#L10`) are not either.
 */
export function brokenLinks(root: string, file: string): string[] {
  const text = readFileSync(join(root, file), 'utf8');
  const problems: string[] = [];
  for (const { line, target } of links(text)) {
    if (target === '' || /^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('//')) continue;
    const hash = target.indexOf('#');
    const pathPart = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
    const anchor = hash < 0 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = pathPart === '' ? join(root, file) : pathPart.startsWith('/') ? join(root, pathPart) : join(root, dirname(file), pathPart);
    const shown = relative(root, resolved).split(sep).join('/');
    if (!existsSync(resolved)) {
      problems.push(`${file}:${line}: ${target}: ${shown} does not exist`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith('.md') || !statSync(resolved).isFile()) continue;
    let defined = anchorCache.get(resolved);
    if (!defined) anchorCache.set(resolved, (defined = anchors(readFileSync(resolved, 'utf8'))));
    if (!defined.has(anchor)) problems.push(`${file}:${line}: ${target}: ${shown} has no anchor #${anchor}`);
  }
  return problems;
}
