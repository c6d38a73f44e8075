// Content effects of applied events, as operations for the ContentShard that owns the post
// (by content id; a post's content id is the id of the event that created it). Applied in
// block order, idempotent by event id: the same blocks give the same content state.
import type { AnySignedEvent } from "../schemas/events";

export type ContentOp =
  | { type: "post"; eventId: string; seq: number; block: number; author: string; createdAt: string; title: string | null; text: string; tags: string[]; lang: string | null; chunks: string[] }
  | { type: "delete"; eventId: string; seq: number; target: string; author: string }
  | { type: "like" | "share" | "view"; eventId: string; seq: number; target: string; engager: string }
  | { type: "comment"; eventId: string; seq: number; block: number; target: string; author: string; text: string; createdAt: string };

/** The post a content op belongs to (its shard key). */
export const contentKey = (op: ContentOp): string => (op.type === "post" ? op.eventId : op.target);

export function contentOpFor(id: string, seq: number, block: number, event: AnySignedEvent): ContentOp | null {
  switch (event.kind) {
    case "content.post":
      return {
        type: "post",
        eventId: id,
        seq,
        block,
        author: event.author,
        createdAt: event.createdAt,
        title: event.body.title ?? null,
        text: event.body.text,
        tags: event.body.tags ?? [],
        lang: event.body.lang ?? null,
        chunks: event.body.chunks ?? [],
      };
    case "content.delete":
      return { type: "delete", eventId: id, seq, target: event.body.target, author: event.author };
    case "interaction.like":
    case "interaction.share":
    case "interaction.view":
      return { type: event.kind.slice("interaction.".length) as "like" | "share" | "view", eventId: id, seq, target: event.body.target, engager: event.author };
    case "interaction.comment":
      return { type: "comment", eventId: id, seq, block, target: event.body.target, author: event.author, text: event.body.text, createdAt: event.createdAt };
    default:
      return null;
  }
}

/** What the search index must learn from a post's current state (idempotent upsert/delete). */
export type IndexUpdate =
  | { op: "upsert"; id: string; author: string; title: string; text: string; tags: string[]; lang: string | null; createdAt: string; seq: number }
  | { op: "delete"; id: string };
