/**
 * Tailor under quantisation-aware training (issue 12, claim C8): the runs that join the depth campaign after all of
 * its own runs (they start from the depth study's float teachers). For ResNet-8 and ResNet-20, at 8 and 4 bits
 * (weights and ReLU outputs; the first conv's and the last dense layer's weights at 8 bits, src/train/quant.ts):
 *
 *   qat<b>-teacher, qat<b>-teacher-shortenable   the depth study's float teacher (best checkpoint) fine-tuned under
 *                                                the quantisers, no KD: 15 epochs, lr 0.01, x0.1 at epoch 10
 *   qat<b>-remover, qat<b>-shortener             Tailor from the QAT teacher of their block form, KD from it (the
 *                                                teacher quantised as well), the depth study's student schedule
 *                                                (depth-plan.ts studentSchedule: one skip per epoch, S + 11 epochs)
 *
 * Why this schedule: the float teacher ends its 40 epochs at lr 0.001; restarting at 0.01 lets its weights settle on
 * the integer grid without forgetting (a common QAT fine-tuning choice, ours), and 15 epochs cost about as much as a
 * student. The students' schedule is the float students' exactly, so a QAT student differs from its float counterpart
 * only by the quantisers. How far from the paper: the authors train for 200 epochs and their QAT schedule is not
 * published; this is 15 + 14 (ResNet-8) or 15 + 20 (ResNet-20) epochs per method and precision, 256 epochs in all
 * (8 fine-tunes of 15, 4 students of 20 and 4 of 14).
 *
 * Then (40 epochs more) a second seed of C8's two students (same QAT teachers, seed 2), last of all: C8's seed-1
 * difference of gaps came out at the size of the float students' seed-to-seed spread (0.3 pp), so a second pair tells
 * whether its sign is noise. C8's value stays the seed-1 pair's, as fixed before the runs; the seed-2 pair is reported beside it.
 */
import { claimSpec, formatRunId, formOf, isTrainable, loadClaimSpecs, network, TAILOR_METHODS, teacherRoleOf, type NetName, type Role } from "../experiment/index.js";
import { skipCount } from "../net/index.js";
import { DEFAULT_CONFIG, type TrainConfig } from "../train/config.js";
import { DEPTH_COMMON, depthPlan, studentSchedule } from "./depth-plan.js";
import { bestCheckpointOf, validatePlan, type Plan, type PlannedRun } from "./plan.js";

export const QAT_NETS: NetName[] = ["resnet20", "resnet8"];
/** in the order the campaign runs them (after C8's own group, which qatRuns puts first): 4 bits before 8 */
export const QAT_BITS = [4, 8] as const;
/** bits of the first conv's and the last dense layer's weights (the issue: "commonly kept at 8") */
export const QAT_EDGE_BITS = 8;
export const QAT_FINETUNE_SCHEDULE = { epochs: 15, lr: 0.01, lrMilestones: [10] };

/** C8's network, precision and student seeds (data/claims.json, C8's scope): its group runs first, and alone has a second seed */
export interface QatClaimGroup {
  net: NetName;
  bits: number;
  seeds: number[];
}

export function qatClaimGroup(): QatClaimGroup {
  const s = claimSpec(loadClaimSpecs(), "C8").scope ?? {};
  if (!s.net || !isTrainable(s.net) || !s.bits || !s.seeds) throw new Error(`data/claims.json: C8.scope: expected a network that trains here, bits and seeds, got ${JSON.stringify(s)}`);
  return { net: s.net, bits: s.bits, seeds: s.seeds };
}

/**
 * The QAT runs, listed after every depth run (the runner starts ready runs in plan order, so the depth study has
 * the machine first). Each QAT teacher depends on its float teacher (whose best checkpoint it starts from) and on
 * every other depth run of its network, so it starts only once that network's depth study is done; dependencies
 * stay within one network so that `--only resnet8` keeps working. Each student depends on its QAT teacher.
 *
 * Order: one group per network and precision, its two teachers then its two students, C8's own group (qatClaimGroup)
 * first, so that the claim is computed after four runs rather than at the end of sixteen; the other groups follow
 * for the codesign figure and C8's range. The order decides only when a run starts, never what it computes.
 */
export function qatRuns(plan: Plan, claim: QatClaimGroup = qatClaimGroup()): PlannedRun[] {
  const isClaim = (g: { bits: number; net: NetName }) => g.bits === claim.bits && g.net === claim.net;
  const qatRunId = (net: NetName, bits: number, role: Role, seed = 1) => formatRunId({ net, role, precision: bits, seed });
  const depthIds = (net: string) => plan.runs.map((r) => r.id).filter((id) => id.startsWith(`${net}/`));
  const cfg = (o: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULT_CONFIG, ...DEPTH_COMMON, lrStep: 30, everyEpochs: 1, ...o }) as TrainConfig;
  const groups = QAT_BITS.flatMap((bits) => QAT_NETS.map((net) => ({ bits, net })));
  const claimFirst = [...groups].sort((a, b) => Number(isClaim(b)) - Number(isClaim(a)));
  const runs: PlannedRun[] = [];
  const reseeded: PlannedRun[] = [];
  for (const { bits, net } of claimFirst) {
    const teachers: PlannedRun[] = [];
    const students: PlannedRun[] = [];
    const quant = { quantWeightBits: bits, quantActBits: bits, quantEdgeBits: QAT_EDGE_BITS };
    const skips = skipCount(network(net).build());
    for (const student of TAILOR_METHODS) {
      const role = teacherRoleOf(student);
      const form = formOf(student);
      const floatTeacher = formatRunId({ net, role });
      const tid = qatRunId(net, bits, role);
      teachers.push({ id: tid, deps: [floatTeacher, ...depthIds(net).filter((d) => d !== floatTeacher)], config: cfg({ net, form, method: "finetune", teacher: bestCheckpointOf(plan, floatTeacher), ...QAT_FINETUNE_SCHEDULE, ...quant }) });
      for (const seed of isClaim({ bits, net }) ? claim.seeds : [1]) {
        const s: PlannedRun = { id: qatRunId(net, bits, student, seed), deps: [tid], config: cfg({ net, form, method: student, teacher: bestCheckpointOf(plan, tid), ...studentSchedule(skips), ...quant, seed }) };
        (seed === 1 ? students : reseeded).push(s);
      }
    }
    runs.push(...teachers, ...students);
  }
  return [...runs, ...reseeded];
}

/** The campaign `npm run campaign` runs: the depth study first, then the QAT runs. */
export function campaignPlan(): Plan {
  const plan = depthPlan();
  plan.runs = [...plan.runs, ...qatRuns(plan)];
  return validatePlan(plan, "campaign plan (src/campaign/depth-plan.ts + src/campaign/qat-plan.ts)");
}
