// Placeholder replaced by the database harness (see test/helpers/database.ts).
export default async function setup(): Promise<void> {}
