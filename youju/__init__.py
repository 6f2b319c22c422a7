"""有据 youju: cited answers from your own documents, fully offline."""
