() => setTimeout(() => {
  const m = document.querySelector('#yj-viewer #yj-focus'); if (m) m.scrollIntoView({block: 'center'}); }, 150)
