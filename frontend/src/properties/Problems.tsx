// The experiment's validation problems, listed before Run (classic: the red "!" on a module, listed here too):
// each names its module and, clicked, selects that module on the canvas.
import type { Problem } from "../api/types";

interface ProblemListProps {
  problems: Problem[];
  nodeName: (nodeId: string) => string;
  onSelect: (nodeId: string) => void;
  heading: string;
}

export function ProblemList({ problems, nodeName, onSelect, heading }: ProblemListProps) {
  return (
    <section className="problems" aria-label="Problems" data-testid="problems-list">
      <h3>{heading}</h3>
      <ol>
        {problems.map((problem, index) => (
          <li key={index} data-testid={`problem-${index}`}>
            {problem.node ? (
              <button type="button" onClick={() => onSelect(problem.node ?? "")} title="Select this module">
                <strong>{nodeName(problem.node)}</strong> {problem.message}
              </button>
            ) : <span>{problem.message}</span>}
          </li>
        ))}
      </ol>
    </section>
  );
}
