// The `graph-call-machine` command (the package's bin, built to dist/cli/main.js): hands the
// command line and the process's I/O to runReplay, and exits with its code. See replayCommand.ts.
import { readFile } from 'node:fs/promises';
import { runReplay } from './replayCommand.js';

// Output piped into a reader that stopped early (`| head`) is not an error of the command.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await runReplay(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  readFile: (path) => readFile(path, 'utf8'),
});
