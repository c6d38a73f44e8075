// Every named schema registers here once; src/openapi.ts and the files in schemas/ are both
// generated from this registry, so the validator, the type and the document cannot drift.
import { z } from "zod";

export interface SchemaMeta {
  id: string;
  description?: string;
}

export const registry = z.registry<SchemaMeta>();

export function named<T extends z.ZodType>(schema: T, id: string, description?: string): T {
  registry.add(schema, description === undefined ? { id } : { id, description });
  return schema;
}
