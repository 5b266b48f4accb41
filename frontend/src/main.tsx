// Mounts the canvas into the page the studio renders at /experiments/{id}/.
import "@xyflow/react/dist/style.css";
import "./canvas.css";

import { StrictMode } from "react";
import { createRoot } from "react-dom/client";

import { setCsrfToken } from "./api/client";
import { Canvas } from "./canvas/Canvas";

const root = document.getElementById("canvas-root");
if (root !== null) {
  setCsrfToken(root.dataset.csrfToken ?? "");
  createRoot(root).render(
    <StrictMode>
      <Canvas experimentId={Number(root.dataset.experimentId)} />
    </StrictMode>,
  );
}
