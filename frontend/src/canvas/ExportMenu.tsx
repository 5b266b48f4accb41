// "Export as code": the last finished run as a Python script, a Jupyter notebook or an MLflow model, downloaded
// from GET /api/experiments/{id}/export/?format=…; a refusal (not run yet, a module with no code form) is shown as
// the canvas message, in the server's words.
import { useState } from "react";

import { failureText, getFile } from "../api/client";

const FORMATS = [
  { format: "python", label: "Python script" },
  { format: "notebook", label: "Jupyter notebook (.ipynb)" },
  { format: "mlflow", label: "MLflow model" },
];

export function ExportMenu({ experimentId, save, onMessage }: {
  experimentId: number;
  save: () => Promise<boolean>;
  onMessage: (message: string) => void;
}) {
  const [busy, setBusy] = useState(false);
  const download = async (format: string) => {
    setBusy(true);
    try {
      if (!(await save())) return;
      const { blob, filename } = await getFile(`/api/experiments/${experimentId}/export/?format=${format}`);
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = filename;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
      onMessage(`Exported ${filename}`);
    } catch (error) {
      onMessage(`Export as code: ${failureText(error, (status) => `the export failed (${status})`)}`);
    } finally {
      setBusy(false);
    }
  };
  return (
    <select aria-label="Export as code" data-testid="export-menu" value="" disabled={busy}
            title="Download the last finished run as a Python script, a Jupyter notebook or an MLflow model"
            onChange={(event) => event.target.value && void download(event.target.value)}>
      <option value="">Export as code</option>
      {FORMATS.map(({ format, label }) => <option key={format} value={format}>{label}</option>)}
    </select>
  );
}
