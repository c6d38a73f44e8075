// Versioned, additive migrations for a DO's SQLite schema. The version is a row; each entry of
// `migrations` runs once, in order, inside the constructor's blockConcurrencyWhile. An entry is
// SQL, or a function for a step that needs code (e.g. rewriting rows).

export type Migration = string | ((sql: SqlStorage) => void);

export function migrate(sql: SqlStorage, migrations: readonly Migration[]): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const row = sql.exec<{ value: string }>("SELECT value FROM _meta WHERE key = 'schema_version'").toArray()[0];
  let version = row ? Number(row.value) : 0;
  while (version < migrations.length) {
    const step = migrations[version]!;
    if (typeof step === "string") sql.exec(step);
    else step(sql);
    version++;
    sql.exec("INSERT OR REPLACE INTO _meta (key, value) VALUES ('schema_version', ?)", String(version));
  }
}

export function one<T extends Record<string, SqlStorageValue>>(cursor: SqlStorageCursor<T>): T | undefined {
  return cursor.toArray()[0];
}
