/** Where the campaign keeps its runs and its process id: read by scripts that must not load the plan (and tfjs). */
export const DEPTH_ROOT = "data/runs/depth";
/** the running campaign's pid, in its plan's root */
export const CAMPAIGN_PID = "campaign.pid";
