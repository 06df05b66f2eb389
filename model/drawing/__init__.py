"""Any drawing, scan or photo -> the ink -> the digits -> MNIST-style 28x28 inputs.

    image_io.py     open untrusted image files safely (ImageError, size limits)
    ink.py          any image, any mode or polarity -> ink strength on a zero background
    blobs.py        connected pieces of ink, specks and stray dots dropped, grouped into digits
                    (how a whole number is read from them: model/numbers)
    mnist_style.py  one digit -> 28x28 the way MNIST was made
    preprocess.py   preprocess(image): one digit

numpy, Pillow and scipy only: no torch training, no Gradio.
"""
