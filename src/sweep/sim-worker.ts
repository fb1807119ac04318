/**
 * A sweep's worker thread (started by pool.ts, from src/ as .ts through Node's type
 * stripping or from dist/ as .js): the scenarios arrive once in `workerData`, then one task
 * per message; each reply carries the task's id. The modules (simulator, router, SLO
 * evaluator) load once per worker and serve every task it is given.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runSimTask, type SimInit, type SimTask } from './sim-task.ts';

const init = workerData as SimInit;
const port = parentPort!;
port.on('message', async (msg: { id: number; task: SimTask }) => {
  const reply = await runSimTask(init, msg.task);
  port.postMessage({ id: msg.id, reply });
});
