// Compiles contracts/src/*.sol with npm solc (standard JSON, imports from node_modules) into contracts/build/NAME.json
// ({contractName, abi, bytecode}). `node compile.js --check` compiles into memory and fails if build/ differs.
'use strict';
const fs = require('fs');
const path = require('path');
const solc = require('solc');

const here = __dirname;
const settings = {
  evmVersion: 'cancun', // pinned: solc 0.8.30 defaults to prague
  optimizer: { enabled: true, runs: 200 },
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } },
};

const sources = {};
for (const file of fs.readdirSync(path.join(here, 'src')).filter(f => f.endsWith('.sol')).sort()) {
  sources[file] = { content: fs.readFileSync(path.join(here, 'src', file), 'utf8') };
}

function findImports(importPath) {
  const candidate = path.join(here, 'node_modules', importPath);
  if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') };
  return { error: `import not found: ${importPath} (run npm ci in contracts/)` };
}

const output = JSON.parse(solc.compile(JSON.stringify({ language: 'Solidity', sources, settings }), { import: findImports }));
const errors = (output.errors || []).filter(e => e.severity === 'error');
for (const e of output.errors || []) process.stderr.write(e.formattedMessage);
if (errors.length) process.exit(1);

const check = process.argv.includes('--check');
const buildDir = path.join(here, 'build');
let stale = [];
if (!check) fs.mkdirSync(buildDir, { recursive: true });
for (const file of Object.keys(sources)) {
  for (const [name, contract] of Object.entries(output.contracts[file])) {
    const artifact = JSON.stringify({ contractName: name, compiler: solc.version(), evmVersion: settings.evmVersion, abi: contract.abi, bytecode: '0x' + contract.evm.bytecode.object }, null, 2) + '\n';
    const target = path.join(buildDir, name + '.json');
    if (check) {
      if (!fs.existsSync(target) || fs.readFileSync(target, 'utf8') !== artifact) stale.push(name);
    } else {
      fs.writeFileSync(target, artifact);
    }
  }
}
if (stale.length) {
  process.stderr.write(`contracts/build is stale for: ${stale.join(', ')}; run: (cd contracts && npm run build)\n`);
  process.exit(2);
}
