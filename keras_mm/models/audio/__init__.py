"""An audio tower from scratch: log-mel front end, conv stem, transformer; raw-waveform preprocessing."""
