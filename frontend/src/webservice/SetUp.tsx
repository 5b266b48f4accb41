// Set Up Web Service (predictive / retraining) and Deploy Web Service, and the summary Set Up returns.
import { useCallback, useRef, useState } from "react";

import { ApiError, sendJSON } from "../api/client";
import type { Experiment, Problem } from "../api/types";
import { useDismiss } from "../canvas/OverflowBar";

export interface Change {
  node: string;
  action: "replaced" | "removed" | "added" | "kept";
  message: string;
}

export interface SetUpResult {
  experiment: number;
  created: boolean;
  summary: Change[];
}

interface Deployed {
  web_service: number;
  endpoint: { Name: string; PrimaryKey?: string; SecondaryKey?: string };
}

/** Keys are shown once: the dashboard reads them from here, shows them, and forgets them. */
export function keepNewKeys(serviceId: number, endpoint: Deployed["endpoint"]): void {
  if (endpoint.PrimaryKey === undefined) return;
  window.sessionStorage.setItem(`atelier-new-keys-${serviceId}`, JSON.stringify(endpoint));
}

interface WebServiceProps {
  experiment: Experiment;
  save: () => Promise<boolean>;
  onSetUp: (result: SetUpResult) => void;
  onMessage: (message: string) => void;
  /** What the canvas calls a node (its caption), for the choice between trained models; ids mean nothing. */
  describeNode?: (nodeId: string) => string;
}

export interface WebServiceActions {
  training: boolean;
  busy: boolean;
  /** When Set Up found several trained models: the ones to choose from. */
  choices: Problem[] | null;
  setUp: (kind: "predictive" | "retraining", trainNode?: string) => Promise<void>;
  deploy: () => Promise<void>;
  dismissChoices: () => void;
  /** What the canvas calls a node (its caption), for the choice between trained models; ids mean nothing. */
  describeNode: (nodeId: string) => string;
}

/** Set Up Web Service and Deploy Web Service, shared by the toolbar's two controls wherever they are shown. */
export function useWebService({ experiment, save, onSetUp, onMessage, describeNode = (id) => id }: WebServiceProps): WebServiceActions {
  const [choices, setChoices] = useState<Problem[] | null>(null);
  const [busy, setBusy] = useState(false);

  const setUp = async (kind: "predictive" | "retraining", trainNode?: string) => {
    setChoices(null);
    if (!(await save())) return;
    setBusy(true);
    try {
      onSetUp(await sendJSON<SetUpResult>(`/api/experiments/${experiment.id}/setup-web-service/`, "POST",
                                          { kind, train_node: trainNode ?? null }));
    } catch (error) {
      const problems = error instanceof ApiError ? (error.body as { errors?: Problem[] } | null)?.errors : undefined;
      if (problems && problems.length > 1 && problems.every((p) => p.message.startsWith("one of the trained models"))) {
        setChoices(problems);
      }
      onMessage(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  const deploy = async () => {
    if (!(await save())) return;
    setBusy(true);
    try {
      const done = await sendJSON<Deployed>(`/api/experiments/${experiment.id}/deploy/`, "POST", {});
      keepNewKeys(done.web_service, done.endpoint);
      window.location.assign(`/web-services/${done.web_service}/`);
    } catch (error) {
      onMessage(error instanceof Error ? error.message : String(error));
      setBusy(false);
    }
  };

  return { training: experiment.kind === "training", busy, choices, setUp, deploy,
           dismissChoices: () => setChoices(null), describeNode };
}

/** "Set Up Web Service ▾": predictive or retraining; when several models are trained, the one to use. The menu
 *  opens below the button, or lists its items in place inside the toolbar's More menu. */
export function SetUpMenu({ service }: { service: WebServiceActions }) {
  const [open, setOpen] = useState(false);
  const shown = open || service.choices !== null;
  const box = useRef<HTMLSpanElement>(null);
  const close = useCallback(() => { setOpen(false); service.dismissChoices(); }, [service]);
  useDismiss(shown, box, close);
  const choose = (kind: "predictive" | "retraining", trainNode?: string) => {
    setOpen(false);
    void service.setUp(kind, trainNode);
  };
  return (
    <span className="menu" ref={box}>
      <button type="button" data-testid="setup-web-service-button" aria-haspopup="menu" aria-expanded={shown}
              disabled={!service.training || service.busy} onClick={() => (shown ? close() : setOpen(true))}
              title={service.training ? "Make a predictive or retraining web service from this experiment"
                : "Set Up starts from the training experiment; edit this one and Deploy"}>
        Set Up Web Service ▾
      </button>
      {shown ? (
        <span className="menu__items" role="menu">
          <button type="button" role="menuitem" data-testid="setup-predictive" onClick={() => choose("predictive")}>
            Predictive Web Service
          </button>
          <button type="button" role="menuitem" data-testid="setup-retraining" onClick={() => choose("retraining")}>
            Retraining Web Service
          </button>
          {service.choices ? (
            <span className="model-choice" role="group" aria-label="Choose the trained model" data-testid="setup-choose-model">
              <span>Predictive web service with the model of</span>
              {service.choices.map((problem) => (
                <button key={problem.node} type="button" role="menuitem" data-testid={`setup-choose-${problem.node ?? ""}`}
                        onClick={() => choose("predictive", problem.node ?? undefined)}>
                  {service.describeNode(problem.node ?? "")}
                </button>
              ))}
            </span>
          ) : null}
        </span>
      ) : null}
    </span>
  );
}

export function DeployButton({ service }: { service: WebServiceActions }) {
  return (
    <button type="button" data-testid="deploy-button" disabled={service.busy} onClick={() => void service.deploy()}
            title="Publish the last finished run of this experiment as a web service">
      Deploy Web Service
    </button>
  );
}

/** What Set Up did, node by node; dismissible. */
export function SetUpSummary({ result, onClose }: { result: SetUpResult; onClose: () => void }) {
  const counts = (["replaced", "removed", "added"] as const).map(
    (action) => `${result.summary.filter((c) => c.action === action).length} ${action}`);
  return (
    <section className="setup-summary" data-testid="setup-summary" role="status" aria-label="Set Up Web Service summary">
      <header>
        <strong>{result.created ? "Predictive experiment created" : "Web service set up"}</strong> — {counts.join(", ")}
        <button type="button" aria-label="Dismiss summary" onClick={onClose}>×</button>
      </header>
      <ul>
        {result.summary.filter((c) => c.action !== "kept").map((change) => (
          <li key={`${change.action}-${change.node}`} className={`setup-summary__${change.action}`}>
            <span>{change.action}</span> {change.message}
          </li>
        ))}
      </ul>
    </section>
  );
}
