"""Recursive neural networks over parse trees (RNN, RNTN, Tree-LSTM), batched by tree level."""
