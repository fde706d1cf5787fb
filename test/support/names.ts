// Names of the databases a test run creates; shared by the global setup and the per-file databases.

/** Test databases of one run are named `<prefix><random>`, so a teardown can drop its own and no other run's. */
export function testDatabasePrefix(run: string): string {
  return `sytst_${run}_`;
}
