// How every PostgreSQL user of the toolkit (event store, read model, relay) loads the optional `pg`
// driver and reads our `?schema=` out of a connection URL.

/** Loads pg 8 (an optional peer), with the install hint when it is missing. */
export async function loadPg(): Promise<typeof import('pg')> {
  try {
    const mod = await import('pg');
    // pg is CommonJS: its named exports sit on `default` under ESM.
    return ((mod as unknown as { default?: typeof import('pg') }).default ?? mod) as typeof import('pg');
  } catch (err) {
    throw new Error(`the PostgreSQL store needs pg 8: npm install pg@8 (${(err as Error).message})`);
  }
}

/**
 * Splits a store URL into what pg connects to and the schema the tables live in: `schema` is ours,
 * not a libpq parameter, so it is removed before pg parses the URL. The option wins over the URL;
 * the default is `public`. Refuses a schema that is not a plain SQL identifier.
 */
export function pgLocation(url: string, schemaOption?: string): { connectionString: string; schema: string } {
  const u = new URL(url);
  const schema = schemaOption ?? u.searchParams.get('schema') ?? 'public';
  u.searchParams.delete('schema');
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
    throw new TypeError(`schema must be a plain SQL identifier (letters, digits, _), got "${schema}"`);
  }
  return { connectionString: u.toString(), schema };
}
