import { runSave } from './save-step.ts';

await runSave();
