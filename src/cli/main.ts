// The `graph-call-machine` command (bin): `graph-call-machine replay <file…>`.
console.error('graph-call-machine: not yet');
process.exitCode = 1;
