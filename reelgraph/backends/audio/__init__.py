"""Audio backends: offline speech (Piper, eSpeak NG), transformers VITS/MMS-TTS and MusicGen."""
