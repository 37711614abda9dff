import { runPost } from './save-step.ts';

await runPost();
