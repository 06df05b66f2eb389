"""The Gradio side of the app: the drawing pad, the bound on its readings, and how a reading is shown."""
