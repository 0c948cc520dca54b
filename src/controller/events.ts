// What the controller tells the outside world after a pass (notifications subscribe to these).

import type { ChangeCounts, ChangeView } from './status.ts';

export type ControllerEvent =
  | { type: 'applied'; source: string; revision: string; counts: ChangeCounts; message: string }
  | { type: 'drift'; source: string; revision: string; corrected: boolean; changes: ChangeView[]; message: string }
  | { type: 'failure'; source: string; revision?: string; reason: string; message: string }
  /** A plan waits for someone to approve it (approve mode, or a safety refusal to force). */
  | { type: 'pending-approval'; source: string; revision: string; planId: string; counts: ChangeCounts; message: string }
  /** A pass ended with live state equal to the revision: clears remembered failures and drift. */
  | { type: 'in-sync'; source: string; revision: string };

export type EventListener = (event: ControllerEvent) => void;
