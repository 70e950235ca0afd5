// Which of issue 13's rules the simulator on this branch already follows. The model
// (cdp-model.ts) is written to the new rules; where the simulator does not follow one yet, its
// switch is false and the history generator (history.ts) steers around the cases where old and
// new rules differ, so no invariant is weakened: the histories are narrower instead.
//
// Still to enable (each a rule of issue 13 not yet in main when this was written). Open at
// 12:12 after merging main: with nsPerChange on, a view on at the ns of its volume's enable
// moves the clock 2 ns in the simulator, 1 ns in the model: model.test.ts fails there (seed
// 837424414) until one of the two is settled.
// - nsPerChange: a change that would land on an occupied ns of its volume moves a manual
//   clock 1 ns forward first. Off: the generator advances 1 ns itself before such a change.
// - minimumLimits: reserve_capacity below one block, reserve_duration 0 refused. Off: edits
//   never ask for them.
// - segmentFromStart: a segment opened in the same second as the newest snapshot is
//   recoverable from its start. Off: the generator moves the clock to the next whole second
//   before an enable or a write that would open a segment in such a second.
// - ioTimes: info keeps startTime ≤ ioStartTime ≤ ioLastTime, both 0 exactly when a segment
//   holds no rows. Off: not checked (main at 12:10 failed it on the first revert).
// - viewPinsRetention: an active view keeps the history its point needs. Off: a view is
//   turned off in the step that turned it on, before time or data move.
export const RULES = {
  nsPerChange: true,
  minimumLimits: true,
  segmentFromStart: false,
  viewPinsRetention: false,
  ioTimes: false
}
