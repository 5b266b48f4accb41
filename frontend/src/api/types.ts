// The studio API's JSON shapes (SPEC §2), mirrored for the canvas. The server is the source of truth.

export interface Position {
  x: number;
  y: number;
}

export interface GraphNode {
  id: string;
  module: string;
  params: Record<string, unknown>;
  position: Position;
  comment: string;
}

export interface GraphEdge {
  source: string;
  source_port: string;
  target: string;
  target_port: string;
}

export interface WebParameter {
  name: string;
  node: string;
  parameter: string;
  default: unknown;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  web_service_parameters?: WebParameter[];
}

export interface Problem {
  node?: string;
  parameter?: string;
  column?: string;
  edge?: string;
  message: string;
}

export interface Experiment {
  id: number;
  name: string;
  kind: "training" | "predictive";
  workspace: string;
  training_experiment: number | null;
  predictive_experiment: number | null;
  graph: Graph;
  validation: Problem[];
  last_run: number | null;
  updated: string;
}

export interface PortSpec {
  name: string;
  type: string;
  optional?: boolean;
  label?: string;
}

export interface ModuleSpec {
  id: string;
  name: string;
  category: string;
  subcategory: string;
  description: string;
  version: number;
  inputs: PortSpec[];
  outputs: PortSpec[];
  parameters: { properties: Record<string, ParameterSchema>; "x-order"?: string[] };
  caption?: string[];  // what the node shows under its name: segments with {parameter} placeholders
}

export type NodeStatus = "queued" | "running" | "finished" | "cached" | "failed" | "skipped";

export interface NodeState {
  status: NodeStatus;
  progress: number;
  error: string | null;
  outputs?: string[];
  parameter?: string | null;
  traceback?: string | null;
  duration_ms?: number | null;
  started?: string | null;
  finished?: string | null;
}

/** GET /api/runs/{id}/nodes/{node}/log/: a node's output log (classic "View output log"). */
export interface NodeLog {
  run: number;
  node: string;
  module: string;
  status: NodeStatus;
  queued: string;
  started: string | null;
  finished: string | null;
  duration_ms: number | null;
  error: string | null;
  parameter: string | null;
  column: string | null;
  traceback: string | null;
  entries: { stream: "stdout" | "stderr" | "warning" | "log" | "atelier"; text: string }[];
  text: string;
  reused_from: { run: number; node: string; finished: string | null } | null;
}

export interface Run {
  id: number;
  experiment: number;
  status: "queued" | "running" | "finished" | "failed" | "cancelled";
  nodes: Record<string, NodeState>;
}

export type LiveEvent =
  | { type: "node"; run: number; node: string; status?: NodeStatus; progress?: number; error?: string }
  | { type: "run"; run: number; status: Run["status"] };

export interface ParameterSchema {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: string[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  "x-widget"?: string;
  "x-visible-when"?: Record<string, unknown[]>;
  "x-reference"?: string;
  "x-single-column"?: boolean;
  "x-input-port"?: string;
  "x-column-types"?: string[];
  "x-column-kinds"?: string[];
}

export interface AssetSummary {
  id: number;
  kind: "trained_model" | "transform";
  name: string;
  summary: { learner?: string; task?: string; label?: string | null; features?: string[]; transform?: string };
  created: string;
}

export interface DatasetSummary {
  id: number;
  name: string;
  rows: number;
  columns: { name: string; kind: string }[];
}

/** An endpoint as the studio API returns it (SPEC §3's management JSON); keys only right after they are made. */
export interface EndpointInfo {
  Name: string;
  PrimaryKey?: string;
  SecondaryKey?: string;
  KeyHint?: string;
  Description?: string;
  MaxConcurrentCalls: number;
  ThrottleLevel: string;
  DiagnosticsTraceLevel: string;
}

/** One model an endpoint served or serves (its Update Resource history). */
export interface ModelVersion {
  id: number;
  how: string;
  source: string;
  sha256: string;
  active: boolean;
  created: string;
  metrics: Record<string, unknown>;
}

/** Scheduled retraining of an endpoint, with its latest attempts (newest first). */
export interface RetrainingSchedule {
  id: number;
  cron: string;
  input: string;
  metric: string;
  margin: number;
  attempts: { started: string; outcome: string; message: string }[];
}
