// The load generator, in its own process: autocannon with the options given as JSON (argv[2]);
// prints autocannon's result as one JSON line.
import process from 'node:process';
import autocannon from 'autocannon';

const options = JSON.parse(process.argv[2]);
const result = await autocannon(options);
process.stdout.write(`${JSON.stringify(result)}\n`);
