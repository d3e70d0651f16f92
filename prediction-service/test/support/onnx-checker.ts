/**
 * ONNX's own validator as a test oracle: `onnx.checker.check_model(full_check=True)` (structure,
 * operator schemas, shape inference) through Debian's python3-onnx. Python is never needed to build
 * or run the service; tests that use this skip with the reason when the module is absent.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const PYTHON = '/usr/bin/python3';

const CHECK = `
import sys, onnx
for path in sys.argv[1:]:
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    print("ok", path)
`;

/** Why the checker cannot run here, or undefined when it can. */
export async function checkerUnavailable(): Promise<string | undefined> {
  try {
    await run(PYTHON, ['-c', 'import onnx']);
    return undefined;
  } catch {
    return `${PYTHON} with the onnx module is not installed (apt-get install -y python3-onnx)`;
  }
}

/** Run onnx.checker on each file; rejects with the checker's message for the first bad one. */
export async function checkOnnxFiles(files: string[]): Promise<string> {
  const { stdout } = await run(PYTHON, ['-c', CHECK, ...files], { timeout: 60_000 });
  return stdout;
}
