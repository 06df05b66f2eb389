"""The Gradio side of the app: the sketchpad component and how a reading is shown (HTML)."""
